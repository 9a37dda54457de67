"""The CX office's administration: staff accounts."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from vocapp.admin import routes  # noqa: E402,F401

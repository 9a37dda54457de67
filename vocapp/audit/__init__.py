"""Reading the audit log."""

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from vocapp.audit import routes  # noqa: E402,F401

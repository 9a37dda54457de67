"""Survey design for DCXOs: templates, questions, translations, preview, publishing."""

from flask import Blueprint

bp = Blueprint("design", __name__, url_prefix="/surveys")

from vocapp.design import routes  # noqa: E402,F401

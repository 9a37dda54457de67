"""Survey results: metrics with intervals, distributions, comments and CSV export."""

from flask import Blueprint

bp = Blueprint("results", __name__, url_prefix="/surveys")

from vocapp.results import routes  # noqa: E402,F401

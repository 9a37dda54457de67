"""The JSON API under /api/v1/: for now the 311 closure webhook."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from vocapp.api import events  # noqa: E402,F401  (registers the routes)

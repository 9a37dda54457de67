"""Imported 311 service requests and the imports that brought them (read-only, no contact details)."""

from flask import Blueprint

bp = Blueprint("servicerequests", __name__, url_prefix="/requests")

from vocapp.servicerequests import routes  # noqa: E402,F401

"""Departments: everyone sees theirs; the CX office manages them."""

from flask import Blueprint

bp = Blueprint("departments", __name__, url_prefix="/departments")

from vocapp.departments import routes  # noqa: E402,F401

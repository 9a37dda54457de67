"""Signing in and out, and the user's own account."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from vocapp.auth import routes  # noqa: E402,F401

"""Campaigns for DCXOs: who gets which survey after their request closes, dry runs, and the funnel."""

from flask import Blueprint

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")

from vocapp.campaigns import routes  # noqa: E402,F401

"""The resident side: answering a survey from a one-time link or a public link, and opting out."""

from flask import Blueprint

bp = Blueprint("respond", __name__)

from vocapp.respond import routes  # noqa: E402,F401

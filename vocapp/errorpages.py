"""Friendly error pages (HTML for people, JSON for the API); never a stack trace."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from vocapp.db import db

__all__ = ["init_app"]

_MESSAGES = {
    400: "The request could not be understood.",
    403: "Your account does not have access to this page.",
    404: "There is nothing here, or it is not yours to see.",
    405: "This page does not accept that kind of request.",
    413: "That upload is too large.",
    429: "Too many attempts. Please wait a minute and try again.",
    500: "Something went wrong on our side. The error has been logged.",
    503: "The service is temporarily unavailable. Please try again shortly.",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _render(status: int, message: str, title: str):
    if _wants_json():
        return jsonify(error={"status": status, "title": title, "message": message}), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _http_error(exc: HTTPException):
    status = exc.code or 500
    body, status = _render(status, _MESSAGES.get(status, exc.description or ""), exc.name)
    # Keep what the exception tells the client beyond its page (Retry-After, Allow, ...).
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return body, status, headers


def _csrf_error(exc: CSRFError):
    message = "This form had expired or was not sent from vocapp, so nothing was changed. Go back, reload the page and try again."
    return _render(400, message, "Form expired")


def _db_unavailable(exc: OperationalError):
    db.session.rollback()
    return _http_error(ServiceUnavailable())


def _unexpected(exc: Exception):
    # Flask logs the exception with its traceback before calling this handler.
    db.session.rollback()
    return _http_error(InternalServerError())


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _db_unavailable)
    app.register_error_handler(InternalServerError, _unexpected)

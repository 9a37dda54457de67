"""POST /api/v1/requests/events: closure and reopen events from a CRM, signed with HMAC-SHA256."""

from __future__ import annotations

import json
import time

from flask import current_app, jsonify, request
from sqlalchemy.exc import IntegrityError

from vocapp import ratelimit
from vocapp.api import bp
from vocapp.api.signing import SignatureError, verify
from vocapp.connectors.webhook import PayloadError, apply_event, parse_event
from vocapp.db import db
from vocapp.extensions import csrf
from vocapp.services.requests import Contacts

__all__ = ["request_events"]


def _error(status: int, code: str, message: str):
    return jsonify(error={"status": status, "code": code, "message": message}), status


@bp.route("/requests/events", methods=["POST"])
@csrf.exempt  # authenticated by its signature, not by a browser session
@ratelimit.limit("WEBHOOK_RATE_LIMIT")
def request_events():
    """Apply one signed event; repeating an event id answers 200 and changes nothing."""
    limit = current_app.config["WEBHOOK_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        return _error(413, "too_large", f"the body is larger than {limit} bytes")
    body = request.stream.read(limit + 1)  # also bounds bodies sent without a Content-Length
    if len(body) > limit:
        return _error(413, "too_large", f"the body is larger than {limit} bytes")
    source = request.headers.get("X-Vocapp-Source", "")
    secret = current_app.config["WEBHOOK_SECRETS"].get(source)
    if not secret:
        return _error(401, "unknown_source", "X-Vocapp-Source names no configured sender (WEBHOOK_SECRETS)")
    try:
        verify(secret, request.headers.get("X-Vocapp-Timestamp"), request.headers.get("X-Vocapp-Signature"),
               body, now=time.time())
    except SignatureError as exc:
        return _error(401, "bad_signature", str(exc))
    if request.mimetype != "application/json":
        return _error(415, "unsupported_media_type", "send the event as application/json")
    try:
        payload = json.loads(body)
    except ValueError as exc:  # JSONDecodeError, or bytes that are not UTF-8
        return _error(400, "invalid_json", f"the body is not valid JSON: {exc}")
    try:
        event_id, kind, record = parse_event(payload, source)
    except PayloadError as exc:
        return _error(400, "invalid_event", str(exc))
    try:
        applied = apply_event(db.session.connection(), source, event_id, kind, record, Contacts.from_app())
        db.session.commit()
    except IntegrityError:  # the same event delivered twice at once: the other delivery applied it
        db.session.rollback()
        applied = False
    status = "applied" if applied else "duplicate"
    return jsonify(event_id=event_id, status=status, request_id=record.source_id), 200

"""Closure and reopen events pushed by a CRM: the payload, its checks, and applying it once.

A payload (JSON)::

    {"event_id": "evt-0001", "type": "request.closed",        # or "request.reopened"
     "request": {"id": "SR-123", "service_code": "POTHOLE", "service_name": "Pothole",
                 "agency": "STR", "channel": "phone", "ward": "3", "zip": "90012",
                 "language": "es", "requested_at": "2026-11-20T09:15:00-08:00",
                 "closed_at": "2026-11-21T16:40:00-08:00", "status_notes": "Filled",
                 "duplicate_of": null, "parent_id": null,
                 "contact": {"email": "ana@example.org", "phone": "+12135550142", "preference": "sms"}}}

Times are ISO 8601 with an offset. Applying an event records its id first, so
a redelivered event changes nothing the second time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from vocapp.connectors.records import ImportError_, RequestRecord, channel_of, clean_zip
from vocapp.models import RequestStatus, ServiceRequest, WebhookEvent
from vocapp.services.requests import Contacts, DepartmentMap, upsert

__all__ = ["EVENT_TYPES", "parse_event", "apply_event", "PayloadError"]

#: Event type -> the request status it reports.
EVENT_TYPES = {"request.closed": RequestStatus.CLOSED, "request.reopened": RequestStatus.OPEN}


class PayloadError(ValueError):
    """The payload is not a valid event; the message names the field."""


def _text(obj: dict, key: str, limit: int, required: bool = False) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise PayloadError(f"{key} is required")
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise PayloadError(f"{key} must be a string")
    value = str(value).strip()
    if len(value) > limit:
        raise PayloadError(f"{key} is longer than {limit} characters")
    return value


def _time(obj: dict, key: str, required: bool = False) -> datetime | None:
    raw = _text(obj, key, 40, required)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError(f"{key} is not an ISO 8601 date-time: {raw!r}") from None
    if value.tzinfo is None:
        raise PayloadError(f"{key} needs a UTC offset (e.g. 2026-11-21T16:40:00-08:00)")
    return value


def parse_event(payload: Any, source: str) -> tuple[str, str, RequestRecord]:
    """(event id, event type, request record) of a payload; PayloadError names what is wrong.

    >>> event_id, kind, record = parse_event({"event_id": "e1", "type": "request.closed", "request": {
    ...     "id": "SR-1", "closed_at": "2026-11-21T16:40:00Z", "channel": "phone"}}, "crm")
    >>> event_id, kind, record.source, record.source_id, record.status.value, record.channel.value
    ('e1', 'request.closed', 'crm', 'SR-1', 'closed', 'phone')
    >>> parse_event({"event_id": "e2", "type": "request.deleted", "request": {}}, "crm")
    Traceback (most recent call last):
    ...
    vocapp.connectors.webhook.PayloadError: type must be one of request.closed, request.reopened
    """
    if not isinstance(payload, dict):
        raise PayloadError("the body must be a JSON object")
    event_id = _text(payload, "event_id", 120, required=True)
    kind = payload.get("type")
    if kind not in EVENT_TYPES:
        raise PayloadError(f"type must be one of {', '.join(EVENT_TYPES)}")
    request = payload.get("request")
    if not isinstance(request, dict):
        raise PayloadError("request must be an object")
    contact = request.get("contact") or {}
    if not isinstance(contact, dict):
        raise PayloadError("request.contact must be an object")
    status = EVENT_TYPES[kind]
    closed_at = _time(request, "closed_at", required=status == RequestStatus.CLOSED)
    preference = _text(contact, "preference", 10)
    if preference not in (None, "email", "sms"):
        raise PayloadError("request.contact.preference must be email or sms")
    try:
        zip_code = clean_zip(_text(request, "zip", 10))
    except ImportError_ as exc:
        raise PayloadError(f"request.{exc}") from None
    record = RequestRecord(
        source=source, source_id=_text(request, "id", 80, required=True), status=status,
        service_code=_text(request, "service_code", 120), service_name=_text(request, "service_name", 200),
        agency=_text(request, "agency", 120),
        channel=channel_of(request["channel"]) if request.get("channel") else None,
        ward=_text(request, "ward", 60), zip=zip_code, language=_text(request, "language", 16),
        status_notes=_text(request, "status_notes", 4000), requested_at=_time(request, "requested_at"),
        closed_at=closed_at if status == RequestStatus.CLOSED else None,
        source_updated_at=closed_at or _time(payload, "occurred_at"),
        duplicate_of=_text(request, "duplicate_of", 80), parent_id=_text(request, "parent_id", 80),
        contact_email=_text(contact, "email", 254), contact_phone=_text(contact, "phone", 32),
        contact_preference=preference,
    )
    try:
        record.check()
    except ImportError_ as exc:
        raise PayloadError(f"request: {exc}") from None
    return event_id, kind, record


def apply_event(conn: Connection, source: str, event_id: str, kind: str, record: RequestRecord,
                contacts: Contacts) -> bool:
    """Record the event and upsert its request; False (and nothing done) when the id was seen before.

    The caller commits; a concurrent duplicate surfaces there as an IntegrityError
    on the unique (source, event_id), which the caller treats as "seen before".
    """
    table = WebhookEvent.__table__
    seen = conn.scalar(select(table.c.id).where(table.c.source == source, table.c.event_id == event_id))
    if seen is not None:
        return False
    conn.execute(insert(table).values(source=source, event_id=event_id, kind=kind.removeprefix("request."),
                                      request_source_id=record.source_id))
    upsert(conn, [_merged(conn, record)], DepartmentMap(conn), contacts)
    return True


#: Fields an event may leave out and the stored request then keeps (a reopen event names little more than the id).
_KEPT_WHEN_ABSENT = ("service_code", "service_name", "agency", "channel", "ward", "zip", "latitude", "longitude",
                     "language", "requested_at", "duplicate_of", "parent_id", "contact_preference")


def _merged(conn: Connection, record: RequestRecord) -> RequestRecord:
    stored_table = ServiceRequest.__table__
    stored = conn.execute(select(stored_table).where(stored_table.c.source == record.source,
                                                     stored_table.c.source_id == record.source_id)).first()
    if stored is not None:
        for name in _KEPT_WHEN_ABSENT:
            if getattr(record, name) is None:
                setattr(record, name, getattr(stored, name))
    return record

"""The closure webhook: signed, fresh, idempotent, with clear errors."""

import json
import time

import pytest
from sqlalchemy import func, select

from vocapp.api.signing import sign
from vocapp.db import db
from vocapp.models import RequestStatus, ServiceRequest, WebhookEvent

SECRET = "crm-shared-secret"
URL = "/api/v1/requests/events"


@pytest.fixture()
def hook(app, client, departments):
    app.config["WEBHOOK_SECRETS"] = {"crm": SECRET}

    def post(payload, *, secret=SECRET, timestamp=None, source="crm", content_type="application/json", raw=None):
        body = raw if raw is not None else json.dumps(payload).encode()
        stamp = int(time.time()) if timestamp is None else timestamp
        headers = {"X-Vocapp-Source": source, "X-Vocapp-Timestamp": str(stamp),
                   "X-Vocapp-Signature": sign(secret, stamp, body)}
        return client.post(URL, data=body, headers=headers, content_type=content_type)

    return post


def closed(event_id="evt-1", **request):
    return {"event_id": event_id, "type": "request.closed",
            "request": {"id": "SR-1", "service_code": "POTHOLE", "agency": "STR", "channel": "phone",
                        "closed_at": "2026-11-21T16:40:00-08:00", "requested_at": "2026-11-20T09:00:00-08:00",
                        "contact": {"email": "Ana@Example.org", "preference": "email"}, **request}}


def stored(app):
    with app.app_context():
        return list(db.session.scalars(select(ServiceRequest)))


def test_a_signed_closure_event_stores_the_request(app, hook, departments):
    response = hook(closed())
    assert response.status_code == 200 and response.json["status"] == "applied"
    (row,) = stored(app)
    assert (row.source, row.source_id, row.status) == ("crm", "SR-1", RequestStatus.CLOSED)
    assert row.department_id == departments["STR"] and row.contact_email == "ana@example.org"
    assert row.closed_at.isoformat() == "2026-11-22T00:40:00+00:00"


def test_a_repeated_event_id_answers_200_and_changes_nothing(app, hook):
    hook(closed())
    again = hook(closed(status_notes="changed"))
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    (row,) = stored(app)
    assert row.status_notes is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1


def test_a_reopen_event_keeps_the_request_details_and_marks_it_reopened(app, hook):
    hook(closed())
    response = hook({"event_id": "evt-2", "type": "request.reopened", "occurred_at": "2026-11-23T10:00:00Z",
                     "request": {"id": "SR-1"}})
    assert response.status_code == 200
    (row,) = stored(app)
    assert row.status == RequestStatus.OPEN and row.reopened and row.closed_at is None
    assert row.service_code == "POTHOLE" and row.channel.value == "phone"


def test_a_bad_signature_is_refused_with_401(app, hook):
    response = hook(closed(), secret="wrong")
    assert response.status_code == 401 and response.json["error"]["code"] == "bad_signature"
    assert stored(app) == []


def test_an_unknown_sender_is_refused_with_401(app, hook):
    assert hook(closed(), source="someone").status_code == 401


def test_a_stale_timestamp_is_refused(app, hook):
    response = hook(closed(), timestamp=int(time.time()) - 600)
    assert response.status_code == 401 and "stale" in response.json["error"]["message"]
    assert stored(app) == []


def test_an_oversize_body_is_refused_with_413(app, hook):
    app.config["WEBHOOK_MAX_BYTES"] = 1024
    response = hook(closed(status_notes="x" * 2000))
    assert response.status_code == 413 and stored(app) == []


@pytest.mark.parametrize(("payload", "raw", "expected"), [
    (None, b'{"event_id": "e1", "type": "request.cl', "JSON"),
    ({"event_id": "e1", "type": "request.closed", "request": {"id": "SR-1"}}, None, "closed_at is required"),
    (closed(closed_at="yesterday"), None, "ISO 8601"),
    (closed(closed_at="2026-11-21T16:40:00"), None, "UTC offset"),
    (closed(zip="99999"), None, "impossible ZIP"),
    (closed(closed_at="2026-11-19T00:00:00Z"), None, "before it was requested"),
    ({"type": "request.closed", "request": {}}, None, "event_id is required"),
])
def test_invalid_events_get_400_naming_the_problem(app, hook, payload, raw, expected):
    response = hook(payload, raw=raw)
    assert response.status_code == 400 and expected in response.json["error"]["message"]
    assert stored(app) == []


def test_a_wrong_content_type_is_refused_with_415(app, hook):
    assert hook(closed(), content_type="text/plain").status_code == 415

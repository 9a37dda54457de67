"""Every import is an idempotent upsert on (source, source_id)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from vocapp.connectors.records import RequestRecord
from vocapp.db import db
from vocapp.models import Channel, RequestStatus, ServiceRequest
from vocapp.services.requests import Contacts, DepartmentMap, upsert

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def record(**changes) -> RequestRecord:
    values = dict(source="la", source_id="1-100", status=RequestStatus.CLOSED, service_code="BULKY",
                  service_name="Bulky Items", agency="STR", channel=Channel.PHONE, ward="CD 1", zip="90012",
                  requested_at=NOW - timedelta(days=3), closed_at=NOW - timedelta(days=1),
                  source_updated_at=NOW - timedelta(days=1), contact_email="Ana@Example.org")
    values.update(changes)
    return RequestRecord(**values)


def store(app, *records, now=NOW):
    with app.app_context():
        conn = db.session.connection()
        departments = DepartmentMap(conn)
        upsert(conn, records, departments, Contacts(b"key", timedelta(days=90), "US"), now=now)
        db.session.commit()
        return departments


def rows(app) -> list[ServiceRequest]:
    with app.app_context():
        return list(db.session.scalars(select(ServiceRequest).order_by(ServiceRequest.id)))


def test_importing_the_same_request_twice_keeps_one_row(app, departments):
    store(app, record())
    store(app, record())
    (row,) = rows(app)
    assert (row.source, row.source_id, row.status) == ("la", "1-100", RequestStatus.CLOSED)


def test_agency_codes_map_to_departments_and_unknown_ones_are_reported(app, departments):
    seen = store(app, record(), record(source_id="2", agency="XYZ"))
    mapped, unmapped = rows(app)
    assert mapped.department_id == departments["STR"] and unmapped.department_id is None
    assert seen.unmapped == {"XYZ": 1}


def test_a_newer_version_updates_and_an_older_one_does_not(app, departments):
    store(app, record(status_notes="first"))
    store(app, record(status_notes="newer", source_updated_at=NOW))
    store(app, record(status_notes="stale", source_updated_at=NOW - timedelta(days=2)))
    assert rows(app)[0].status_notes == "newer"


def test_a_closed_request_seen_open_again_is_marked_reopened(app, departments):
    store(app, record())
    store(app, record(status=RequestStatus.OPEN, closed_at=None, source_updated_at=NOW))
    store(app, record(source_updated_at=NOW + timedelta(hours=1)))
    (row,) = rows(app)
    assert row.reopened and row.status == RequestStatus.CLOSED


def test_contacts_are_normalised_and_hashed_and_not_stored_past_retention(app, departments):
    store(app, record(), record(source_id="old", closed_at=NOW - timedelta(days=200),
                                requested_at=NOW - timedelta(days=201), contact_email="ana@example.org"))
    recent, old = rows(app)
    assert recent.contact_email == "ana@example.org"
    assert old.contact_email is None and old.contact_hash == recent.contact_hash is not None


def test_a_row_without_contacts_keeps_the_stored_ones(app, departments):
    store(app, record(contact_phone="(213) 555-0142"))
    store(app, record(contact_email=None, source_updated_at=NOW))
    (row,) = rows(app)
    assert row.contact_email == "ana@example.org" and row.contact_phone == "+12135550142"


def test_many_records_in_one_call(app, departments):
    store(app, *[record(source_id=str(i)) for i in range(500)])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ServiceRequest)) == 500


def test_agency_aliases_map_a_sources_codes_to_department_codes(app, departments):
    app.config["AGENCY_ALIASES"] = {"BOS": "WTR"}
    store(app, record(agency="bos"))
    assert rows(app)[0].department_id == departments["WTR"]

"""Storing 311 requests: an idempotent upsert on (source, source_id) for every connector.

Importing the same rows twice changes nothing; a newer version of a request
updates it; a closed request seen open again is marked reopened. Contact
details of requests closed longer ago than the retention period are not stored
at all (only their keyed hash, which caps and opt-outs need).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import Connection, Select, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from vocapp.connectors.records import RequestRecord
from vocapp.contacts import contact_hash, hash_key, normalize_email, normalize_phone
from vocapp.db import utcnow
from vocapp.models import Channel, Department, RequestStatus, ServiceRequest

__all__ = ["DepartmentMap", "Contacts", "upsert", "row_values", "contact_values"]

_T = ServiceRequest.__table__
#: Columns an upsert overwrites on conflict (identity, first_seen_at and reopened are handled apart).
_UPDATED = ("service_code", "service_name", "agency", "department_id", "channel", "ward", "zip", "latitude",
            "longitude", "language", "status", "status_notes", "requested_at", "source_updated_at", "closed_at",
            "duplicate_of", "parent_id", "contact_preference", "extra", "last_seen_at")


class DepartmentMap:
    """Agency codes to department ids, by Department.code (case-insensitive), loaded once.

    AGENCY_ALIASES maps a source's agency codes to department codes where they
    differ (e.g. LA's "BOS", the Bureau of Sanitation, to "SAN").
    """

    def __init__(self, conn: Connection, aliases: Mapping[str, str] | None = None):
        table = Department.__table__
        self._ids = {code.upper(): id_ for id_, code in conn.execute(select(table.c.id, table.c.code))}
        if aliases is None:
            aliases = current_app.config.get("AGENCY_ALIASES") or {} if has_app_context() else {}
        for agency, code in aliases.items():
            if code.upper() in self._ids:
                self._ids[agency.upper()] = self._ids[code.upper()]
        #: Agencies seen that match no department, with how many rows each (for the import report).
        self.unmapped: dict[str, int] = {}

    def __call__(self, agency: str | None) -> int | None:
        return self.column([agency])[0]

    def column(self, agencies: Sequence[str | None]) -> list[int | None]:
        """The department of each of `agencies` (each looked up once); agencies without one are counted."""
        found = {agency: self._ids.get(agency.strip().upper()) if agency else None for agency in set(agencies)}
        for agency, id_ in found.items():
            if agency and id_ is None:
                self.unmapped[agency] = self.unmapped.get(agency, 0) + agencies.count(agency)
        return list(map(found.__getitem__, agencies))


@dataclass
class Contacts:
    """How contact details are kept: the hash key, the retention period and the phone region."""

    key: bytes
    retention: timedelta
    region: str

    @classmethod
    def from_app(cls) -> Contacts:
        config = current_app.config
        return cls(hash_key(), timedelta(days=config["CONTACT_RETENTION_DAYS"]), config["DEFAULT_PHONE_REGION"])


def contact_values(email: str | None, phone: str | None, closed_at: datetime | None, contacts: Contacts,
                   now: datetime) -> tuple[str | None, str | None, str | None]:
    """(email, phone, hash) as stored: normalised, the hash always, the details only within retention."""
    email = normalize_email(email)
    phone = normalize_phone(phone, contacts.region)
    hashed = contact_hash(email or phone, contacts.key)
    if closed_at is not None and closed_at < now - contacts.retention:
        return None, None, hashed
    return email, phone, hashed


def row_values(record: RequestRecord, department_id: int | None, contacts: Contacts, now: datetime) -> dict:
    """The service_requests row of a record: normalised contacts, their hash, the retention rule."""
    email, phone, hashed = contact_values(record.contact_email, record.contact_phone, record.closed_at, contacts,
                                          now)
    return {
        "source": record.source, "source_id": record.source_id, "service_code": record.service_code,
        "service_name": record.service_name, "agency": record.agency, "department_id": department_id,
        "channel": (record.channel or Channel.OTHER).value, "ward": record.ward, "zip": record.zip, "latitude": record.latitude,
        "longitude": record.longitude, "language": record.language, "status": record.status.value,
        "status_notes": record.status_notes, "requested_at": record.requested_at,
        "source_updated_at": record.source_updated_at, "closed_at": record.closed_at,
        "reopened": False, "duplicate_of": record.duplicate_of, "parent_id": record.parent_id,
        "contact_email": email, "contact_phone": phone, "contact_hash": hashed,
        "contact_preference": record.contact_preference, "extra": record.extra,
        "first_seen_at": now, "last_seen_at": now,
    }


def _statement(dialect_name: str, rows: Select | None = None):
    """The upsert of row values: given as parameters, or the rows a SELECT of every column gives."""
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    stmt = insert(_T) if rows is None else insert(_T).from_select(list(rows.selected_columns.keys()), rows)
    new, old = stmt.excluded, _T.c
    updates = {name: new[name] for name in _UPDATED}
    # Contacts: a row without them (a source that omits them, or past retention) keeps what is stored.
    for name in ("contact_email", "contact_phone", "contact_hash"):
        updates[name] = func.coalesce(new[name], old[name])
    updates["reopened"] = or_(old.reopened, and_(old.status == RequestStatus.CLOSED.value,
                                                 new.status == RequestStatus.OPEN.value))
    return stmt.on_conflict_do_update(
        index_elements=["source", "source_id"],
        set_=updates,
        # Older news never overwrites newer (a slow poll after a webhook event, say).
        where=or_(new.source_updated_at.is_(None), old.source_updated_at.is_(None),
                  new.source_updated_at >= old.source_updated_at),
    )


def upsert(conn: Connection, records: Iterable[RequestRecord], departments: DepartmentMap,
           contacts: Contacts, now: datetime | None = None) -> int:
    """Insert or update `records` (one executemany); the caller commits. Returns how many were given."""
    now = now or utcnow()
    rows: Sequence[dict] = [row_values(r, departments(r.agency), contacts, now) for r in records]
    if rows:
        conn.execute(_statement(conn.dialect.name), rows)
    return len(rows)

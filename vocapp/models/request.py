"""311 service requests as imported from the city's systems, and the imports themselves."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vocapp.db import Base, UTCDateTime, utcnow
from vocapp.models.department import Department
from vocapp.models.survey import _enum


class Channel(enum.StrEnum):
    """How the resident reached 311."""

    PHONE = "phone"
    WEB = "web"
    APP = "app"
    WALK_IN = "walk_in"
    EMAIL = "email"
    SOCIAL = "social"
    OTHER = "other"


class RequestStatus(enum.StrEnum):
    """The request's status, normalised over every source's vocabulary."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REFERRED = "referred"


class ServiceRequest(Base):
    """One 311 service request; (source, source_id) identifies it, so every import is an upsert."""

    __tablename__ = "service_requests"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_service_requests_closed_at", "closed_at"),
        Index("ix_service_requests_department_closed", "department_id", "closed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The system it came from, e.g. "la", "nyc", "open311:chicago", "webhook".
    source: Mapped[str] = mapped_column(String(60))
    #: Its id in that system (SRNumber, Unique Key, service_request_id...).
    source_id: Mapped[str] = mapped_column(String(80))
    service_code: Mapped[str | None] = mapped_column(String(120))
    service_name: Mapped[str | None] = mapped_column(String(200))
    #: The agency or owner code as the source spells it; mapped to a department by code when one matches.
    agency: Mapped[str | None] = mapped_column(String(120))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "request_channel"), default=Channel.OTHER)
    #: Ward, council or community district, as the source names it.
    ward: Mapped[str | None] = mapped_column(String(60))
    zip: Mapped[str | None] = mapped_column(String(10))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: The resident's language (a code of surveys.languages), when the source knows it.
    language: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus, "request_status"))
    status_notes: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the source last changed it (its own clock).
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set once a closed request was seen open again.
    reopened: Mapped[bool] = mapped_column(default=False)
    #: The source id of the request this one duplicates, if any.
    duplicate_of: Mapped[str | None] = mapped_column(String(80))
    #: The source id of the parent request (follow-on work), if any.
    parent_id: Mapped[str | None] = mapped_column(String(80))
    #: Contact details: purged after CONTACT_RETENTION_DAYS past closing; never logged or exported.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    #: Keyed hash of the normalised email or phone; outlives the purge (contact caps, opt-outs).
    contact_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Whether the resident prefers email or sms, when the source says.
    contact_preference: Mapped[str | None] = mapped_column(String(10))
    #: Fields of the source not mapped to a column (Open311 extensions, attributes).
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    department: Mapped[Department | None] = relationship()


class ImportRun(Base):
    """One run of a CSV import or an Open311 poll: counts, and where to resume."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "csv:la", "csv:nyc", "csv:boston", "csv:mapping", "open311", "webhook".
    kind: Mapped[str] = mapped_column(String(40))
    #: The file path or endpoint URL.
    target: Mapped[str] = mapped_column(String(1000))
    #: Identity of the input (file size, mtime and a hash of its start) so a rerun can resume it.
    fingerprint: Mapped[str | None] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running, done, failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_stored: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    #: Byte offset and line number after the last committed batch (CSV); a rerun starts there.
    resume_offset: Mapped[int] = mapped_column(BigInteger, default=0)  # files over 2 GB
    resume_line: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    rejects: Mapped[list[RejectedRow]] = relationship(back_populates="run", cascade="all, delete-orphan",
                                                      order_by="RejectedRow.line")


class RejectedRow(Base):
    """A row an import refused (quarantined): where it was, why, and what it said."""

    __tablename__ = "rejected_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id", ondelete="CASCADE"), index=True)
    line: Mapped[int] = mapped_column(Integer)
    #: The source id when the row had a readable one.
    source_id: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(300))
    #: The row as read, contact columns removed.
    raw: Mapped[str | None] = mapped_column(Text)

    run: Mapped[ImportRun] = relationship(back_populates="rejects")


class PollCursor(Base):
    """Where the polling of one Open311 endpoint stands, so the next poll resumes there."""

    __tablename__ = "poll_cursors"

    #: The endpoint's name in OPEN311_ENDPOINTS, or its URL for `vocapp open311 poll URL`.
    endpoint: Mapped[str] = mapped_column(String(300), primary_key=True)
    #: Requests updated (or closed) up to this instant are in.
    cursor: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookEvent(Base):
    """A closure or reopen event received on the webhook; its id makes redelivery harmless."""

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(60))
    event_id: Mapped[str] = mapped_column(String(120))
    #: "closed" or "reopened".
    kind: Mapped[str] = mapped_column(String(20))
    request_source_id: Mapped[str] = mapped_column(String(80))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

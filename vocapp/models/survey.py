"""Surveys, their immutable published versions, invitations, responses and answers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vocapp.db import Base, UTCDateTime, utcnow
from vocapp.models.department import Department
from vocapp.models.user import User


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: a VARCHAR with a CHECK constraint."""
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda members: [m.value for m in members])


class SurveyStatus(enum.StrEnum):
    """Whether a survey can still be used."""

    ACTIVE = "active"
    ARCHIVED = "archived"


class VersionStatus(enum.StrEnum):
    """A draft is edited in place; a published version never changes again."""

    DRAFT = "draft"
    PUBLISHED = "published"


class Survey(Base):
    """A department's survey; its questions live in versions."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"), index=True)
    #: Staff-facing name; residents see the version's title instead.
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[SurveyStatus] = mapped_column(_enum(SurveyStatus, "survey_status"), default=SurveyStatus.ACTIVE)
    #: The template it started from, None when blank or cloned.
    template: Mapped[str | None] = mapped_column(String(40))
    #: Random part of the public link /p/<slug>; None while the public link is off.
    public_slug: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    department: Mapped[Department] = relationship()
    created_by: Mapped[User | None] = relationship()
    versions: Mapped[list[SurveyVersion]] = relationship(
        back_populates="survey", order_by="SurveyVersion.number", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> SurveyVersion:
        """The newest version (the draft, if one is open)."""
        return self.versions[-1]

    @property
    def draft(self) -> SurveyVersion | None:
        """The open draft, if any."""
        latest = self.versions[-1] if self.versions else None
        return latest if latest is not None and latest.status == VersionStatus.DRAFT else None

    @property
    def live(self) -> SurveyVersion | None:
        """The newest published version: the one residents answer."""
        published = [v for v in self.versions if v.status == VersionStatus.PUBLISHED]
        return published[-1] if published else None

    @property
    def archived(self) -> bool:
        return self.status == SurveyStatus.ARCHIVED


class SurveyVersion(Base):
    """One version of a survey's definition; immutable once published."""

    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("survey_id", "number", name="uq_survey_versions_survey_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    number: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(_enum(VersionStatus, "version_status"),
                                                  default=VersionStatus.DRAFT)
    #: The whole definition as `surveys.model.Survey.to_dict()` gives it.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    survey: Mapped[Survey] = relationship(back_populates="versions")


class InvitationState(enum.StrEnum):
    """Where an invitation is in its life."""

    PLANNED = "planned"
    SENT = "sent"
    REMINDED = "reminded"
    ANSWERED = "answered"
    EXPIRED = "expired"
    FAILED = "failed"
    OPTED_OUT = "opted_out"


class Invitation(Base):
    """A one-time link to one survey version for one resident (or a staff test)."""

    __tablename__ = "invitations"
    __table_args__ = (
        # A campaign invites for a request at most once, however often planning runs.
        UniqueConstraint("campaign_id", "service_request_id"),
        Index("ix_invitations_state_send_after", "state", "send_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id", ondelete="CASCADE"))
    #: Copied from the survey so scope checks need no join.
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"), index=True)
    #: SHA-256 of the token; the token itself exists only in the link sent.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(10), default="en")
    #: email, sms or test.
    channel: Mapped[str] = mapped_column(String(20))
    state: Mapped[InvitationState] = mapped_column(_enum(InvitationState, "invitation_state"),
                                                   default=InvitationState.SENT)
    is_test: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    service_request_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id", ondelete="SET NULL"))
    #: Random salt the link's token is derived from (HMAC with the app's key), so reminders can
    #: repeat the link while only its hash is stored. None for test links (shown once).
    token_salt: Mapped[str | None] = mapped_column(String(32))
    #: Keyed hash of the resident's email or phone (contact caps, opt-outs).
    contact_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    #: Not before: the request's close plus the campaign's delay, moved out of quiet hours.
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Delivery attempts of the current message (first send or reminder), for back-off.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    #: When the next message is due: a retry after a transient failure, or the next reminder.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: A dispatcher's lease: who claimed the row for sending, until when (a crash lets it lapse).
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    survey: Mapped[Survey] = relationship()
    version: Mapped[SurveyVersion] = relationship()

    def is_expired(self, now: datetime) -> bool:
        return self.state == InvitationState.EXPIRED or (self.expires_at is not None and self.expires_at <= now)


class ResponseSource(enum.StrEnum):
    """How a response reached us."""

    INVITATION = "invitation"  # a resident's one-time link
    PUBLIC = "public"  # the anonymous public link or QR code
    ASSISTED = "assisted"  # entered by staff from a call or a paper form
    TEST = "test"  # a staff test link


class Response(Base):
    """One resident's submitted answers to one survey version."""

    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_survey_submitted", "survey_id", "submitted_at"),
        Index("ix_responses_department_submitted", "department_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id", ondelete="RESTRICT"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    #: Unique: a one-time link yields at most one response, however often it is submitted.
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"),
                                                      unique=True)
    source: Mapped[ResponseSource] = mapped_column(_enum(ResponseSource, "response_source"))
    #: email, sms, web, qr, phone, paper, in_person.
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(10))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The staff member who typed in an assisted response.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    answers: Mapped[list[Answer]] = relationship(back_populates="response", cascade="all, delete-orphan",
                                                 order_by="Answer.id")
    version: Mapped[SurveyVersion] = relationship()
    entered_by: Mapped[User | None] = relationship()


class Answer(Base):
    """One question's answer: a number, a text, or a list of choices."""

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_response_id", "response_id"),
                      Index("ix_answers_question_key", "question_key"),
                      # The sentiment job's question, "free-text answers not analysed by this analyser
                      # version": kind = 'text' AND (version IS NULL OR version < v OR version > v),
                      # three range scans of this index.
                      Index("ix_answers_kind_sentiment_version", "kind", "sentiment_version"))

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(40))
    #: The question kind, so metrics can be computed without reading the definition.
    kind: Mapped[str] = mapped_column(String(20))
    #: Ratings as given; trust 1/0; fixed 1/0.5/0 (see surveys.questions.numeric).
    number: Mapped[float | None] = mapped_column(Float)
    #: Free text, or the chosen value of single-answer kinds.
    text: Mapped[str | None] = mapped_column(Text)
    #: Chosen values of multi-answer kinds.
    choices: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # Sentiment of free-text answers, written by the `sentiment` job (vocapp.services.sentiment),
    # never by the resident's submission. All NULL until analysed.
    #: 'positive', 'negative' or 'neutral'.
    sentiment_label: Mapped[str | None] = mapped_column(String(10))
    #: VADER's compound score, -1 (most negative) to 1 (most positive).
    sentiment_compound: Mapped[float | None] = mapped_column(Float)
    #: The language the analyser detected (ISO 639-1, "und" when unknown).
    sentiment_language: Mapped[str | None] = mapped_column(String(16))
    #: Names of surveys.sentiment.FLAGS the text raised (closed_not_fixed, safety_risk...); [] when none.
    sentiment_flags: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    #: How far to trust the scorer for that language, 0 to 1.
    sentiment_confidence: Mapped[float | None] = mapped_column(Float)
    #: surveys.sentiment.VERSION of the analysis; NULL = not analysed yet. A new VERSION re-scores the row.
    sentiment_version: Mapped[str | None] = mapped_column(String(64))

    response: Mapped[Response] = relationship(back_populates="answers")

    @property
    def value(self):
        """The answer as the survey domain parses it."""
        if self.choices is not None:
            return list(self.choices)
        if self.text is not None:
            return self.text
        return int(self.number) if self.number is not None and self.number.is_integer() else self.number


class OptOut(Base):
    """A resident's request to get no more surveys."""

    __tablename__ = "opt_outs"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"),
                                                      unique=True)
    #: Keyed hash of the email or phone it applies to (set when invitations carry contacts).
    contact_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""One-time resident links: finding one, answering it once, opting out.

This is the hottest path of the product (every resident submission), so it
uses a few Core statements instead of ORM objects: a submission is one guarded
UPDATE that finds and claims the link, then two INSERTs, in the request's
single transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, exists, insert, literal, or_, select, update

from surveys import model as domain
from vocapp.db import db, utcnow
from vocapp.models import (
    Answer,
    Department,
    Invitation,
    InvitationState,
    OptOut,
    Response,
    ResponseSource,
    Survey,
    SurveyStatus,
    SurveyVersion,
    VersionStatus,
)
from vocapp.services.responses import answer_rows
from vocapp.tokens import hash_token, looks_like_token

__all__ = ["Link", "find_link", "claim", "definition_of", "mark_opened", "record", "opt_out"]

_I, _S, _D, _V = Invitation.__table__, Survey.__table__, Department.__table__, SurveyVersion.__table__

_FIND = (
    select(_I.c.id, _I.c.state, _I.c.expires_at, _I.c.opened_at, _I.c.is_test, _I.c.channel, _I.c.language,
           _I.c.survey_id, _I.c.survey_version_id, _I.c.department_id, _S.c.status.label("survey_status"),
           _D.c.name.label("department_name"))
    .join(_S, _S.c.id == _I.c.survey_id)
    .join(_D, _D.c.id == _I.c.department_id)
    .where(_I.c.token_hash == bindparam("token_hash"))
)
_DEFINITION = select(_V.c.definition, _V.c.status).where(_V.c.id == bindparam("version_id"))
# Find and claim in one statement, for the common POST: a usable link of an active survey.
_CLAIM_BY_TOKEN = (
    update(_I)
    .where(_I.c.token_hash == bindparam("hash"),
           _I.c.state.not_in([InvitationState.ANSWERED.value, InvitationState.EXPIRED.value]),
           or_(_I.c.expires_at.is_(None), _I.c.expires_at > bindparam("claimed_at")),
           exists().where(_S.c.id == _I.c.survey_id, _S.c.status == SurveyStatus.ACTIVE.value))
    .values(state=InvitationState.ANSWERED.value, answered_at=bindparam("claimed_at"))
    .returning(_I.c.id, literal(InvitationState.ANSWERED.value).label("state"), _I.c.expires_at, _I.c.opened_at,
               _I.c.is_test, _I.c.channel, _I.c.language, _I.c.survey_id, _I.c.survey_version_id,
               _I.c.department_id, literal(SurveyStatus.ACTIVE.value).label("survey_status"),
               select(_D.c.name).where(_D.c.id == _I.c.department_id).scalar_subquery().label("department_name"))
)
_OPENED = (update(_I).where(_I.c.id == bindparam("link_id"), _I.c.opened_at.is_(None))
           .values(opened_at=bindparam("now")))
_INSERT_RESPONSE = insert(Response.__table__).returning(Response.__table__.c.id)
_INSERT_ANSWERS = insert(Answer.__table__)


@dataclass(frozen=True)
class Link:
    """What a resident's token opens."""

    id: int
    state: str
    expires_at: datetime | None
    opened_at: datetime | None
    is_test: bool
    channel: str
    language: str
    survey_id: int
    survey_version_id: int
    department_id: int
    survey_status: str
    department_name: str

    def status(self, now: datetime) -> str:
        """"open", "answered" or "closed" (expired, or its survey archived)."""
        if self.state == InvitationState.ANSWERED:
            return "answered"
        expired = self.state == InvitationState.EXPIRED or (self.expires_at is not None and self.expires_at <= now)
        if expired or self.survey_status == SurveyStatus.ARCHIVED:
            return "closed"
        return "open"


def find_link(token: str) -> Link | None:
    """The link a token opens, or None (malformed tokens are refused without a query)."""
    if not looks_like_token(token):
        return None
    return _link(db.session.connection().execute(_FIND, {"token_hash": hash_token(token)}).first())


def claim(token: str) -> Link | None:
    """Mark a usable link answered and return it; None when it is unknown, used, closed or expired.

    One statement, so of two concurrent submissions exactly one gets the link.
    The caller records the answers (`record`) or rolls back.
    """
    if not looks_like_token(token):
        return None
    params = {"hash": hash_token(token), "claimed_at": utcnow()}
    return _link(db.session.connection().execute(_CLAIM_BY_TOKEN, params).first())


def _link(row) -> Link | None:
    if row is None:
        return None
    values = row._asdict()
    # Core rows carry what the column types give: make enums plain strings, times aware.
    values["state"] = getattr(values["state"], "value", values["state"])
    values["survey_status"] = getattr(values["survey_status"], "value", values["survey_status"])
    return Link(**values)


def definition_of(version_id: int) -> domain.Survey:
    """The parsed definition of a version; published ones are parsed once per process.

    The cache lives on the application object, so a fresh app (every test) starts
    empty; published versions never change, so entries never go stale.
    """
    cache: dict[int, domain.Survey] = current_app.extensions.setdefault("vocapp.definitions", {})
    parsed = cache.get(version_id)
    if parsed is None:
        row = db.session.connection().execute(_DEFINITION, {"version_id": version_id}).one()
        parsed = domain.Survey.from_dict(row.definition)
        if getattr(row.status, "value", row.status) == VersionStatus.PUBLISHED:
            cache[version_id] = parsed
    return parsed


def mark_opened(link: Link) -> None:
    """Record the first time the link was opened."""
    if link.opened_at is None:
        db.session.connection().execute(_OPENED, {"link_id": link.id, "now": utcnow()})


def record(link: Link, definition: domain.Survey, answers: dict, language: str, now: datetime | None = None) -> int:
    """Store the response of a claimed link; returns its id. The caller commits."""
    now = now or utcnow()
    # Plain Core on the session's connection: the ORM adds nothing here but cost.
    conn = db.session.connection()
    source = ResponseSource.TEST if link.is_test else ResponseSource.INVITATION
    response_id = conn.execute(_INSERT_RESPONSE, {
        "survey_id": link.survey_id, "survey_version_id": link.survey_version_id,
        "department_id": link.department_id, "invitation_id": link.id, "source": source.value,
        "channel": link.channel, "language": language, "submitted_at": now, "entered_by_id": None,
    }).scalar_one()
    rows = answer_rows(definition, answers)
    if rows:
        conn.execute(_INSERT_ANSWERS, [{"response_id": response_id, **row} for row in rows])
    return response_id


def opt_out(link: Link) -> None:
    """Record that this resident wants no more surveys (idempotent)."""
    if db.session.scalar(select(OptOut.id).where(OptOut.invitation_id == link.id)) is not None:
        return
    db.session.add(OptOut(invitation_id=link.id))
    if link.state != InvitationState.ANSWERED:
        db.session.execute(update(_I).where(_I.c.id == link.id).values(state=InvitationState.OPTED_OUT.value))
    db.session.flush()

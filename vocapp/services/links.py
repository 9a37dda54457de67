"""One-time resident links: finding one, answering it once, opting out.

This is the hottest path of the product (every resident submission), so it
runs a few Core statements on a plain connection the view owns, with no ORM
session: a submission is one SELECT, then a guarded UPDATE and two INSERTs in
one short transaction (on SQLite the write lock is held only for those, and the
view queues for it with `vocapp.writelock`; on PostgreSQL the UPDATE and the
first INSERT travel as one statement).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Connection, bindparam, cast, insert, select, true, union_all, update

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

__all__ = ["Link", "connect", "find_link", "submit", "definition_of", "mark_opened", "opt_out"]

_I, _S, _D, _V = Invitation.__table__, Survey.__table__, Department.__table__, SurveyVersion.__table__
_R, _A = Response.__table__, Answer.__table__
_RESPONSE_COLUMNS = ("survey_id", "survey_version_id", "department_id", "invitation_id", "source", "channel",
                     "language", "submitted_at", "entered_by_id")

_FIND = (
    select(_I.c.id, _I.c.state, _I.c.expires_at, _I.c.opened_at, _I.c.is_test, _I.c.channel, _I.c.language,
           _I.c.survey_id, _I.c.survey_version_id, _I.c.department_id, _S.c.status.label("survey_status"),
           _D.c.name.label("department_name"))
    .join(_S, _S.c.id == _I.c.survey_id)
    .join(_D, _D.c.id == _I.c.department_id)
    .where(_I.c.token_hash == bindparam("token_hash"))
)
_DEFINITION = select(_V.c.definition, _V.c.status).where(_V.c.id == bindparam("version_id"))
_CLAIM_ID = (
    update(_I)
    .where(_I.c.id == bindparam("link_id"), _I.c.state != InvitationState.ANSWERED.value)
    .values(state=InvitationState.ANSWERED.value, answered_at=bindparam("claimed_at"))
)
_OPENED = (update(_I).where(_I.c.id == bindparam("link_id"), _I.c.opened_at.is_(None))
           .values(opened_at=bindparam("now")))
_INSERT_RESPONSE = insert(_R).returning(_R.c.id)
_INSERT_ANSWERS = insert(_A)
_ANSWER_COLUMNS = ("question_key", "kind", "number", "text", "choices")


@functools.cache
def _claim_and_store(answer_count: int):
    """PostgreSQL: claim the link, insert the response and its answers, in one statement.

    Data-modifying CTEs: nothing is inserted unless the guarded UPDATE claimed the
    row, and the statement yields the new response's id (no row when already
    answered). One statement per answer count (a survey has a handful of counts).
    """
    claimed = _CLAIM_ID.returning(_I.c.id).cte("claimed")
    stored = (
        insert(_R)
        .from_select(
            list(_RESPONSE_COLUMNS),
            # Bind names must not be column names, or the CTE's UPDATE would SET them too.
            select(*(bindparam(f"r_{name}", type_=_R.c[name].type) for name in _RESPONSE_COLUMNS))
            .select_from(claimed),
        )
        .returning(_R.c.id)
        .cte("stored")
    )
    statement = select(stored.c.id)
    if answer_count:
        # One SELECT of typed parameters per answer (a VALUES clause would not be cached),
        # cast so that a column NULL in every row still has its type.
        given = union_all(*(
            select(*(cast(bindparam(f"a{i}_{name}", type_=_A.c[name].type), _A.c[name].type).label(name)
                     for name in _ANSWER_COLUMNS))
            for i in range(answer_count)
        )).subquery("given")
        answered = (insert(_A).from_select(["response_id", *_ANSWER_COLUMNS], select(stored.c.id, *given.c).select_from(stored.join(given, true())))
                    .returning(_A.c.id).cte("answered"))
        statement = statement.add_cte(answered)
    return statement


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


def connect() -> Connection:
    """A connection for a resident's link; on PostgreSQL every statement commits by itself.

    There a visit is one SELECT and a submission one more, atomic, statement, so
    autocommit saves the BEGIN and COMMIT round trips. On SQLite a submission is
    several statements in one transaction the caller commits.
    """
    conn = db.engine.connect()
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="AUTOCOMMIT")
    return conn


def find_link(conn: Connection, token: str) -> Link | None:
    """The link a token opens, or None (malformed tokens are refused without a query)."""
    if not looks_like_token(token):
        return None
    return _link(conn.execute(_FIND, {"token_hash": hash_token(token)}).first())


def _link(row) -> Link | None:
    if row is None:
        return None
    values = row._asdict()
    # Core rows carry what the column types give: make enums plain strings, times aware.
    values["state"] = getattr(values["state"], "value", values["state"])
    values["survey_status"] = getattr(values["survey_status"], "value", values["survey_status"])
    return Link(**values)


def definition_of(conn: Connection, version_id: int) -> domain.Survey:
    """The parsed definition of a version; published ones are parsed once per process.

    The cache lives on the application object, so a fresh app (every test) starts
    empty; published versions never change, so entries never go stale.
    """
    cache: dict[int, domain.Survey] = current_app.extensions.setdefault("vocapp.definitions", {})
    parsed = cache.get(version_id)
    if parsed is None:
        row = conn.execute(_DEFINITION, {"version_id": version_id}).one()
        parsed = domain.Survey.from_dict(row.definition)
        if getattr(row.status, "value", row.status) == VersionStatus.PUBLISHED:
            cache[version_id] = parsed
    return parsed


def mark_opened(conn: Connection, link: Link) -> None:
    """Record the first time the link was opened."""
    if link.opened_at is None:
        conn.execute(_OPENED, {"link_id": link.id, "now": utcnow()})


def submit(conn: Connection, link: Link, definition: domain.Survey, answers: dict, language: str) -> int | None:
    """Claim the link and store its one response; the response id, or None if it was already answered.

    The guarded UPDATE takes the row lock (SQLite: the write lock), so of two
    concurrent submissions (two tabs) exactly one changes the row and stores a
    response; the other gets None. The caller commits, or rolls back on None.
    """
    now = utcnow()
    source = ResponseSource.TEST if link.is_test else ResponseSource.INVITATION
    columns = dict(zip(_RESPONSE_COLUMNS, (link.survey_id, link.survey_version_id, link.department_id, link.id,
                                          source.value, link.channel, language, now, None), strict=True))
    rows = answer_rows(definition, answers)
    if conn.dialect.name == "postgresql":
        # One round trip, one atomic statement (the connection may be in autocommit mode).
        params = {"link_id": link.id, "claimed_at": now, **{f"r_{k}": v for k, v in columns.items()}}
        params.update((f"a{i}_{k}", v) for i, row in enumerate(rows) for k, v in row.items())
        return conn.execute(_claim_and_store(len(rows)), params).scalar()
    if conn.execute(_CLAIM_ID, {"link_id": link.id, "claimed_at": now}).rowcount != 1:
        return None
    response_id = conn.execute(_INSERT_RESPONSE, columns).scalar_one()
    if rows:
        conn.execute(_INSERT_ANSWERS, [{"response_id": response_id, **row} for row in rows])
    return response_id


def opt_out(conn: Connection, link: Link) -> None:
    """Record that this resident wants no more surveys (idempotent)."""
    _O = OptOut.__table__
    if conn.scalar(select(_O.c.id).where(_O.c.invitation_id == link.id)) is not None:
        return
    # The resident's contact hash makes the opt-out hold for every later request and campaign.
    contact_hash = conn.scalar(select(_I.c.contact_hash).where(_I.c.id == link.id))
    conn.execute(insert(_O).values(invitation_id=link.id, contact_hash=contact_hash, created_at=utcnow()))
    if link.state != InvitationState.ANSWERED:
        conn.execute(update(_I).where(_I.c.id == link.id).values(state=InvitationState.OPTED_OUT.value))

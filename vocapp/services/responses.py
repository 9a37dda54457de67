"""Residents' answers: invitations, one-time submission, public and staff-entered responses, opt-outs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from surveys.languages import normalize
from surveys.questions import Kind, numeric
from vocapp.db import db, utcnow
from vocapp.errors import ValidationError, VocappError
from vocapp.models import (
    Answer,
    Invitation,
    InvitationState,
    OptOut,
    Response,
    ResponseSource,
    Survey,
    SurveyVersion,
    User,
)
from vocapp.services import audit
from vocapp.services.surveys import definition
from vocapp.tokens import hash_token, looks_like_token, new_token

__all__ = [
    "AlreadyAnswered", "LinkClosed", "find_invitation", "link_state", "create_test_invitations",
    "store_response", "submit_invitation", "opt_out", "TEST_LINK_DAYS", "ASSISTED_CHANNELS",
]

#: Test links stop working after this many days.
TEST_LINK_DAYS = 14
#: How staff can have received an answer they type in.
ASSISTED_CHANNELS = ("phone", "paper", "in_person")


class AlreadyAnswered(VocappError):
    """The one-time link has been used."""


class LinkClosed(VocappError):
    """The link has expired or its survey no longer takes answers."""


def find_invitation(token: str) -> Invitation | None:
    """The invitation a token opens, or None (for malformed tokens without a query)."""
    if not looks_like_token(token):
        return None
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))


def link_state(invitation: Invitation) -> str:
    """"open", "answered" or "closed" (expired, or the survey archived)."""
    if invitation.state == InvitationState.ANSWERED:
        return "answered"
    if invitation.is_expired(utcnow()) or invitation.survey.archived:
        return "closed"
    return "open"


@dataclass(frozen=True)
class TestLink:
    """A freshly made test link (the token is shown once, then only its hash exists)."""

    language: str
    token: str


def create_test_invitations(actor: User, survey: Survey, languages: list[str]) -> list[TestLink]:
    """One test link per language to the live version; they expire after TEST_LINK_DAYS."""
    version = survey.live
    if version is None:
        raise ValidationError("Publish the survey before making test links.")
    if survey.archived:
        raise ValidationError("This survey is archived.")
    codes = [normalize(lang) for lang in languages]
    if not codes or None in codes:
        raise ValidationError("Choose at least one known language.", field="languages")
    links = []
    for code in dict.fromkeys(codes):
        token = new_token()
        db.session.add(Invitation(
            survey_id=survey.id, survey_version_id=version.id, department_id=survey.department_id,
            token_hash=hash_token(token), language=code, channel="test", is_test=True,
            state=InvitationState.SENT, expires_at=utcnow() + timedelta(days=TEST_LINK_DAYS),
            created_by_id=actor.id if actor else None,
        ))
        links.append(TestLink(code, token))
    db.session.flush()
    audit.record(actor, "survey.test_links", survey, label=survey.name, department_id=survey.department_id,
                 changes={"languages": [None, [link.language for link in links]]})
    return links


def _answers(version: SurveyVersion, answers: dict) -> list[Answer]:
    survey = definition(version)
    rows = []
    for key, value in answers.items():
        kind = survey.question(key).kind
        rows.append(Answer(
            question_key=key, kind=kind.value, number=numeric(kind, value),
            text=value if isinstance(value, str) else None,
            choices=value if isinstance(value, list) else None,
        ))
    return rows


def store_response(*, survey: Survey, version: SurveyVersion, answers: dict, source: ResponseSource,
                   channel: str, language: str, invitation: Invitation | None = None,
                   entered_by: User | None = None, submitted_at=None) -> Response:
    """Add a response with its answers (already validated against `version`)."""
    response = Response(
        survey_id=survey.id, survey_version_id=version.id, department_id=survey.department_id,
        invitation_id=invitation.id if invitation else None, source=source, channel=channel,
        language=language, entered_by_id=entered_by.id if entered_by else None,
        submitted_at=submitted_at or utcnow(), answers=_answers(version, answers),
    )
    db.session.add(response)
    return response


def submit_invitation(invitation: Invitation, answers: dict, language: str) -> Response:
    """Store the one response a link allows.

    Raises AlreadyAnswered when the link was used before, including by a
    concurrent submission from another tab (the unique invitation_id decides),
    and LinkClosed when it has expired.
    """
    state = link_state(invitation)
    if state == "answered":
        raise AlreadyAnswered()
    if state == "closed":
        raise LinkClosed()
    source = ResponseSource.TEST if invitation.is_test else ResponseSource.INVITATION
    try:
        with db.session.begin_nested():
            response = store_response(survey=invitation.survey, version=invitation.version, answers=answers,
                                      source=source, channel=invitation.channel, language=language,
                                      invitation=invitation)
            db.session.flush()
    except IntegrityError as exc:
        raise AlreadyAnswered() from exc
    invitation.state = InvitationState.ANSWERED
    invitation.answered_at = response.submitted_at
    db.session.flush()
    return response


def opt_out(invitation: Invitation) -> OptOut:
    """Record that this resident wants no more surveys (idempotent)."""
    existing = db.session.scalar(select(OptOut).where(OptOut.invitation_id == invitation.id))
    if existing is not None:
        return existing
    record = OptOut(invitation_id=invitation.id)
    db.session.add(record)
    if invitation.state != InvitationState.ANSWERED:
        invitation.state = InvitationState.OPTED_OUT
    db.session.flush()
    return record


def kinds_of(version: SurveyVersion) -> dict[str, Kind]:
    """Question kinds of a version by key."""
    return {q.key: q.kind for q in definition(version).questions}

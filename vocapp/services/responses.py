"""Storing answers: test links, and responses from public links, staff entry and the demo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from surveys import model as domain
from surveys.languages import normalize
from surveys.questions import numeric
from vocapp.db import db, utcnow
from vocapp.errors import ValidationError
from vocapp.models import (
    Answer,
    Invitation,
    InvitationState,
    Response,
    ResponseSource,
    Survey,
    SurveyVersion,
    User,
)
from vocapp.services import audit
from vocapp.services.surveys import definition
from vocapp.tokens import hash_token, new_token

__all__ = ["answer_rows", "create_test_invitations", "store_response", "TEST_LINK_DAYS", "ASSISTED_CHANNELS"]

#: Test links stop working after this many days.
TEST_LINK_DAYS = 14
#: How staff can have received an answer they type in.
ASSISTED_CHANNELS = ("phone", "paper", "in_person")


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


def answer_rows(survey: domain.Survey, answers: dict) -> list[dict]:
    """Column values of the answer rows for validated `answers` to `survey`."""
    rows = []
    for key, value in answers.items():
        kind = survey.question(key).kind
        rows.append({
            "question_key": key, "kind": kind.value, "number": numeric(kind, value),
            "text": value if isinstance(value, str) else None,
            "choices": value if isinstance(value, list) else None,
        })
    return rows


def store_response(*, survey: Survey, version: SurveyVersion, answers: dict, source: ResponseSource,
                   channel: str, language: str, invitation: Invitation | None = None,
                   entered_by: User | None = None, submitted_at=None) -> Response:
    """Add a response with its answers (already validated against `version`)."""
    response = Response(
        survey_id=survey.id, survey_version_id=version.id, department_id=survey.department_id,
        invitation_id=invitation.id if invitation else None, source=source, channel=channel,
        language=language, entered_by_id=entered_by.id if entered_by else None,
        submitted_at=submitted_at or utcnow(),
        answers=[Answer(**row) for row in answer_rows(definition(version), answers)],
    )
    db.session.add(response)
    return response

"""Fixtures for results pages: published surveys and responses with known answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from surveys.questions import Choice, Kind, Question
from vocapp.db import db
from vocapp.models import Department, ResponseSource, Survey
from vocapp.services import responses
from vocapp.services import surveys as design

#: When fixture responses are submitted unless a test says otherwise.
WHEN = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)


def _department(code: str) -> Department:
    return db.session.scalars(db.select(Department).where(Department.code == code)).one()


@pytest.fixture()
def published(app, departments):
    """Make a survey from a template (or with `questions`), publish it, and return its id."""

    def make(template: str | None = "post_service", code: str = "STR", name: str | None = None,
             questions: tuple[Question, ...] = ()) -> int:
        with app.app_context():
            survey = design.create_survey(None, department=_department(code), name=name or f"{template} survey",
                                          template=template)
            for question in questions:
                design.add_question(None, survey, question)
            design.publish(None, survey)
            db.session.commit()
            return survey.id

    return make


@pytest.fixture()
def answer(app):
    """Store one response per answers dict on the survey's live version; returns their ids."""

    def add(survey_id: int, *answer_sets: dict, source: ResponseSource = ResponseSource.INVITATION,
            channel: str = "email", language: str = "en", submitted_at: datetime = WHEN) -> list[int]:
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            made = [responses.store_response(survey=survey, version=survey.live, answers=answers, source=source,
                                             channel=channel, language=language, submitted_at=submitted_at)
                    for answers in answer_sets]
            db.session.commit()
            return [r.id for r in made]

    return add


#: Questions of every kind the post-service template lacks.
EXTRA_QUESTIONS = (
    Question(key="agree", kind=Kind.LIKERT, text={"en": "Staff explained the next steps."}),
    Question(key="trust5", kind=Kind.TRUST5, text={"en": "I trust the City to fix problems."}),
    Question(key="thumbs", kind=Kind.TRUST, text={"en": "This increased my trust in the City."}),
    Question(key="how", kind=Kind.SINGLE, text={"en": "How did you contact us?"},
             choices=(Choice("phone", {"en": "By phone"}), Choice("app", {"en": "With the 311 app"}))),
    Question(key="topics", kind=Kind.MULTI, text={"en": "What was it about?"},
             choices=(Choice("noise", {"en": "Noise"}), Choice("trash", {"en": "Trash"}),
                      Choice("roads", {"en": "Roads"}))),
    Question(key="drivers", kind=Kind.DRIVERS, text={"en": "What went well?"}),
    Question(key="score", kind=Kind.NPS, text={"en": "Would you recommend 311?"}),
)


@pytest.fixture()
def every_kind(published):
    """A published survey with a question of every kind; returns its id."""
    return published(template="post_service", name="Every kind", questions=EXTRA_QUESTIONS)


@pytest.fixture()
def score(app):
    """Run the scheduler's sentiment job once (as it would within a minute of the answers)."""
    from vocapp import jobs

    def run() -> int:
        with app.app_context():
            return jobs.sentiment(app)

    return run


@pytest.fixture()
def linked(app):
    """Answer a survey through a 311 request (service, ward): the response slices by them; returns its id."""
    from vocapp.models import Invitation, InvitationState, RequestStatus, ServiceRequest
    from vocapp.tokens import hash_token, new_token

    def add(survey_id: int, answers: dict, *, service: str, ward: str | None, channel: str = "email",
            language: str = "en", submitted_at: datetime = WHEN) -> int:
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            request = ServiceRequest(source="test", source_id=new_token()[:20], service_name=service, ward=ward,
                                     department_id=survey.department_id, status=RequestStatus.CLOSED,
                                     closed_at=submitted_at)
            db.session.add(request)
            db.session.flush()
            invitation = Invitation(survey_id=survey.id, survey_version_id=survey.live.id,
                                    department_id=survey.department_id, token_hash=hash_token(new_token()),
                                    language=language, channel=channel, state=InvitationState.ANSWERED,
                                    service_request_id=request.id)
            db.session.add(invitation)
            db.session.flush()
            response = responses.store_response(survey=survey, version=survey.live, answers=answers,
                                                source=ResponseSource.INVITATION, channel=channel,
                                                language=language, invitation=invitation,
                                                submitted_at=submitted_at)
            db.session.commit()
            return response.id

    return add

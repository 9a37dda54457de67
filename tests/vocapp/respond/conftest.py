"""Fixtures for resident pages: a published survey and its one-time links."""

import pytest

from vocapp.db import db
from vocapp.models import Department, Survey
from vocapp.services import responses
from vocapp.services import surveys as design


@pytest.fixture()
def published(app, departments):
    """Make a survey from a template, publish it, and return its id."""

    def make(template: str = "post_service", code: str = "STR") -> int:
        with app.app_context():
            dept = db.session.scalars(db.select(Department).where(Department.code == code)).one()
            survey = design.create_survey(None, department=dept, name=f"{template} survey", template=template)
            design.publish(None, survey)
            db.session.commit()
            return survey.id

    return make


@pytest.fixture()
def link(app, published):
    """A fresh one-time test link (its token) to a published survey."""

    def make(template: str = "post_service", language: str = "en", survey_id: int | None = None) -> str:
        sid = survey_id or published(template)
        with app.app_context():
            survey = db.session.get(Survey, sid)
            (made,) = responses.create_test_invitations(None, survey, [language])
            db.session.commit()
            return made.token

    return make

"""Fixtures for designer pages: a survey in a department, by id."""

import pytest

from vocapp.db import db
from vocapp.models import Department, Survey
from vocapp.services import surveys as design


@pytest.fixture()
def make_survey(app, departments):
    """Create a survey (from a template, optionally published) in a department; returns its id."""

    def make(code: str = "STR", template: str | None = "post_service", publish: bool = False,
             name: str = "Test survey") -> int:
        with app.app_context():
            dept = db.session.scalars(db.select(Department).where(Department.code == code)).one()
            survey = design.create_survey(None, department=dept, name=name, template=template)
            if publish:
                design.publish(None, survey)
            db.session.commit()
            return survey.id

    return make


@pytest.fixture()
def load(app):
    """Read a survey fresh from the database: (row, working definition) inside a short app context."""

    def read(survey_id: int):
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            versions = [(v.number, v.status.value, v.definition) for v in survey.versions]
            return survey.name, survey.status.value, versions, survey.public_slug

    return read

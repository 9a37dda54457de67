"""Fixtures for campaigns: a published survey, closed requests with contacts, a campaign."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.vocapp.campaigns.settings import defaults
from vocapp.connectors.records import RequestRecord
from vocapp.db import db
from vocapp.models import Campaign, Channel, Department, RequestStatus, Survey
from vocapp.services import campaigns
from vocapp.services import surveys as design
from vocapp.services.requests import Contacts, DepartmentMap, upsert

NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles


@pytest.fixture()
def survey_id(app, departments):
    with app.app_context():
        dept = db.session.scalars(db.select(Department).where(Department.code == "STR")).one()
        survey = design.create_survey(None, department=dept, name="Post", template="post_service")
        design.publish(None, survey)
        db.session.commit()
        return survey.id


@pytest.fixture()
def make_campaign(app, survey_id):
    """Create (and by default activate) a campaign with settings overriding `defaults()`."""

    def make(activate: bool = True, **changes) -> int:
        with app.app_context():
            survey = db.session.get(Survey, survey_id)
            values = defaults(survey_version_id=survey.live.id, **changes)
            campaign = campaigns.create_campaign(None, department=survey.department, survey=survey, values=values)
            if activate:
                campaigns.set_status(None, campaign, campaign.status.__class__("active"))
            db.session.commit()
            return campaign.id

    return make


def request(i: int, **changes) -> RequestRecord:
    values = dict(source="la", source_id=f"SR-{i}", status=RequestStatus.CLOSED, service_code="POTHOLE",
                  agency="STR", channel=Channel.PHONE, ward="1", requested_at=NOW - timedelta(days=2),
                  closed_at=NOW - timedelta(hours=5), contact_email=f"resident{i}@example.org")
    values.update(changes)
    return RequestRecord(**values)


@pytest.fixture()
def add_requests(app):
    def add(*records: RequestRecord) -> None:
        with app.app_context():
            conn = db.session.connection()
            upsert(conn, records, DepartmentMap(conn), Contacts(b"k", timedelta(days=90), "US"), now=NOW)
            db.session.commit()

    return add


def campaign(app, campaign_id: int) -> Campaign:
    return db.session.get(Campaign, campaign_id)

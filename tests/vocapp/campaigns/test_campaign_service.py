"""Campaign settings are validated, status changes follow the rules, and everything is audited."""

import pytest
from sqlalchemy import select

from tests.vocapp.campaigns.settings import defaults
from vocapp.db import db
from vocapp.errors import ValidationError
from vocapp.models import AuditEntry, Campaign, CampaignStatus, Survey
from vocapp.services import campaigns


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "  "}, "name"),
    ({"sample_rate": 0}, "sample_rate"),
    ({"sample_rate": 1.5}, "sample_rate"),
    ({"reminders": 9}, "reminders"),
    ({"channels": ["pigeon"]}, "channels"),
    ({"quiet_start": "20:00"}, "quiet_end"),
    ({"quiet_start": "8pm", "quiet_end": "08:00"}, "quiet_start"),
    ({"channel_order": "fax"}, "channel_order"),
    ({"survey_version_id": 999}, "survey_version_id"),
])
def test_bad_settings_name_the_field(app, survey_id, changes, field):
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        values = defaults(survey_version_id=survey.live.id) | changes
        with pytest.raises(ValidationError) as caught:
            campaigns.create_campaign(None, department=survey.department, survey=survey, values=values)
        assert caught.value.field == field


def test_a_dcxo_cannot_target_other_departments(app, survey_id, departments):
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        values = defaults(survey_version_id=survey.live.id, departments=[departments["WTR"]])
        with pytest.raises(ValidationError):
            campaigns.create_campaign(None, department=survey.department, survey=survey, values=values,
                                      scope={departments["STR"]})


def test_status_moves_and_their_audit_trail(app, make_campaign):
    cid = make_campaign(activate=False)
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        assert campaign.departments == [campaign.department_id]  # empty means its own department
        campaigns.set_status(None, campaign, CampaignStatus.ACTIVE)
        assert campaign.activated_at is not None
        campaigns.set_status(None, campaign, CampaignStatus.PAUSED)
        campaigns.set_status(None, campaign, CampaignStatus.ACTIVE)
        campaigns.set_status(None, campaign, CampaignStatus.ENDED)
        with pytest.raises(ValidationError):
            campaigns.set_status(None, campaign, CampaignStatus.ACTIVE)
        db.session.commit()
        actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-5:] == ["campaign.create", "campaign.active", "campaign.paused", "campaign.active",
                            "campaign.ended"]


def test_updates_record_what_changed(app, make_campaign):
    cid = make_campaign()
    with app.app_context():
        campaign = db.session.get(Campaign, cid)
        values = campaigns.settings_of(campaign) | {"sample_rate": 0.5}
        campaigns.update_campaign(None, campaign, values)
        db.session.commit()
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "campaign.update" and entry.changes == {"sample_rate": [1.0, 0.5]}

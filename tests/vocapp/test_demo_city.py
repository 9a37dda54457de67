"""The demo city: LA's sample as recent requests, a live campaign, invitations in the outbox."""

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from vocapp.db import db, utcnow
from vocapp.models import Campaign, CampaignStatus, Invitation, ServiceRequest


def test_make_run_demo_fills_the_outbox_with_invitations_a_resident_can_open(app, runner, client, shared_data):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "LA requests imported" in result.output
    outbox = sorted((Path(app.instance_path) / "outbox").glob("*.eml"))
    assert outbox, result.output
    message = email.message_from_bytes(outbox[0].read_bytes(), policy=email.policy.default)
    token = re.search(r"/s/([\w-]+)\s", message.get_body(("plain",)).get_content()).group(1)
    assert client.get(f"/s/{token}").status_code == 200
    with app.app_context():
        newest = db.session.scalar(select(func.max(ServiceRequest.closed_at)))
        assert utcnow() - timedelta(hours=2) < newest <= utcnow()
        assert db.session.scalar(select(Campaign.status)) == CampaignStatus.ACTIVE
        invited = db.session.scalar(select(func.count()).select_from(Invitation).where(
            Invitation.campaign_id.is_not(None)))
        requests = db.session.scalar(select(func.count()).select_from(ServiceRequest))
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "already loaded" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ServiceRequest)) == requests
        assert db.session.scalar(select(func.count()).select_from(Invitation).where(
            Invitation.campaign_id.is_not(None))) == invited

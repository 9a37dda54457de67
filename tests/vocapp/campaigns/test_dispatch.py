"""Dispatching: due invitations go out once, reminders follow, failures are retried or recorded."""

import email
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.vocapp.campaigns.conftest import NOW, request
from vocapp import dispatch
from vocapp.db import db
from vocapp.delivery.base import DeliveryError, Outcome
from vocapp.models import Campaign, CampaignStatus, Invitation, InvitationState, OptOut, ServiceRequest
from vocapp.services.planning import plan
from vocapp.tokens import hash_token


@pytest.fixture()
def planned(app, make_campaign, add_requests):
    """Plan invitations for the given requests under a new campaign; returns the campaign id."""

    def make(*records, **settings) -> int:
        add_requests(*(records or [request(1)]))
        cid = make_campaign(**settings)
        with app.app_context():
            plan(db.session.connection(), db.session.get(Campaign, cid), now=NOW)
            db.session.commit()
        return cid

    return make


def run(app, now=NOW, kind="all", worker="w1"):
    with app.app_context():
        return dispatch.dispatch_once(app, worker=worker, now=now, kind=kind).counts


def invitation(app) -> Invitation:
    with app.app_context():
        return db.session.scalars(select(Invitation).order_by(Invitation.id)).first()


def outbox(app, suffix=".eml"):
    return sorted((Path(app.instance_path) / "outbox").glob(f"*{suffix}"))


def test_a_due_invitation_is_emailed_once_with_its_link(app, planned):
    planned()
    assert run(app)["sent"] == 1
    assert run(app)["claimed"] == 0  # nothing left to send
    (sent,) = outbox(app)
    message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",)).get_content()
    token = re.search(r"/s/([A-Za-z0-9_-]+)", text).group(1)
    row = invitation(app)
    assert row.state == InvitationState.SENT and row.sent_at == NOW
    assert row.token_hash == hash_token(token)
    assert message["List-Unsubscribe"] == f"<http://127.0.0.1:5000/s/{token}/unsubscribe>"
    assert message["To"] == "resident1@example.org"


def test_the_email_speaks_the_residents_language(app, planned):
    planned(request(1, language="es"))
    run(app)
    message = email.message_from_bytes(outbox(app)[0].read_bytes(), policy=email.policy.default)
    assert message["Content-Language"] == "es"


def test_nothing_is_sent_before_its_time_or_for_a_paused_campaign(app, planned):
    cid = planned(delay_minutes=600)
    assert run(app)["claimed"] == 0
    with app.app_context():
        db.session.get(Campaign, cid).status = CampaignStatus.PAUSED
        db.session.commit()
    assert run(app, now=NOW + timedelta(days=1))["claimed"] == 0


def test_reminders_follow_until_the_campaign_allows_no_more(app, planned):
    planned(reminders=2, reminder_after_hours=24)
    run(app)
    assert run(app, now=NOW + timedelta(hours=23))["claimed"] == 0
    assert run(app, now=NOW + timedelta(hours=24), kind="reminder")["reminded"] == 1
    assert run(app, now=NOW + timedelta(hours=48))["reminded"] == 1
    assert run(app, now=NOW + timedelta(hours=96))["claimed"] == 0
    row = invitation(app)
    assert (row.state, row.reminders_sent, row.next_attempt_at) == (InvitationState.REMINDED, 2, None)
    assert len(outbox(app)) == 3


def test_an_answered_invitation_gets_no_reminder(app, planned):
    planned()
    run(app)
    with app.app_context():
        db.session.execute(update(Invitation).values(state=InvitationState.ANSWERED))
        db.session.commit()
    assert run(app, now=NOW + timedelta(days=4))["claimed"] == 0


def test_a_resident_who_opted_out_meanwhile_gets_nothing(app, planned):
    planned()
    with app.app_context():
        hashed = db.session.scalars(select(ServiceRequest.contact_hash)).one()
        db.session.add(OptOut(contact_hash=hashed))
        db.session.commit()
    assert run(app)["opted_out"] == 1
    assert invitation(app).state == InvitationState.OPTED_OUT and outbox(app) == []


def test_sms_invitations_go_to_the_sms_backend(app, planned):
    planned(request(1, contact_email=None, contact_phone="(213) 555-0142"))
    assert run(app)["sent"] == 1
    assert len(outbox(app, ".sms.json")) == 1


class Scripted:
    """A mail backend answering with the given outcomes in turn."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.sent = []

    def close(self):
        pass

    def send(self, message):
        self.sent.append(message)
        return self.outcomes.pop(0)


@pytest.fixture()
def scripted(monkeypatch):
    def install(*outcomes):
        backend = Scripted(outcomes)
        monkeypatch.setattr(dispatch, "email_backend", lambda config, outbox=None: backend)
        return backend

    return install


def test_transient_failures_are_retried_with_growing_delays(app, planned, scripted):
    app.config.update(DISPATCH_RETRY_SECONDS=60, DISPATCH_MAX_ATTEMPTS=3)
    planned()
    scripted(Outcome.transient_failure("SMTP 451"), Outcome.transient_failure("timeout"), Outcome.success())
    assert run(app)["retry"] == 1
    assert invitation(app).next_attempt_at == NOW + timedelta(seconds=60)
    assert run(app, now=NOW + timedelta(seconds=59))["claimed"] == 0
    assert run(app, now=NOW + timedelta(seconds=60))["retry"] == 1
    assert invitation(app).next_attempt_at == NOW + timedelta(seconds=180)
    assert run(app, now=NOW + timedelta(seconds=180))["sent"] == 1
    assert invitation(app).attempts == 0


def test_permanent_failures_and_exhausted_retries_mark_the_invitation_failed(app, planned, scripted):
    app.config.update(DISPATCH_MAX_ATTEMPTS=2, DISPATCH_RETRY_SECONDS=1)
    planned(request(1), request(2))
    scripted(Outcome.permanent_failure("SMTP 550 mailbox unavailable"), Outcome.transient_failure("SMTP 421"),
             Outcome.transient_failure("SMTP 421"))
    run(app)
    run(app, now=NOW + timedelta(seconds=1))
    with app.app_context():
        rows = list(db.session.scalars(select(Invitation).order_by(Invitation.id)))
    assert [r.state for r in rows] == [InvitationState.FAILED, InvitationState.FAILED]
    assert rows[0].last_error == "SMTP 550 mailbox unavailable"
    assert rows[1].last_error.startswith("gave up after 2 attempts")


def test_quiet_hours_defer_sending_without_losing_it(app, planned):
    app.config["TIMEZONE"] = "America/Los_Angeles"
    planned(quiet_start="08:00", quiet_end="09:00")  # planned for now = 10:00 local
    assert run(app, now=NOW + timedelta(hours=22, minutes=30))["deferred"] == 1  # 08:30 local next day
    assert run(app, now=NOW + timedelta(hours=23))["sent"] == 1


def test_two_dispatchers_never_claim_the_same_invitation(app, planned):
    planned(*[request(i) for i in range(10)])
    lease = timedelta(minutes=5)
    with app.app_context():
        conn = db.session.connection()
        first = dispatch.claim(conn, "a", NOW, 6, lease)
        second = dispatch.claim(conn, "b", NOW, 6, lease)
        db.session.commit()
        assert len(first) == 6 and len(second) == 4 and not set(first) & set(second)
        # A dispatcher that died: its lease lapses and the rows can be claimed again.
        assert dispatch.claim(db.session.connection(), "c", NOW + lease + timedelta(seconds=1), 20, lease) == sorted(first + second)


def test_the_send_rate_limit_caps_a_minute(app, planned):
    planned(*[request(i) for i in range(5)], send_rate_per_minute=2)
    assert run(app)["sent"] == 2
    assert run(app)["claimed"] == 0
    assert run(app, now=NOW + timedelta(minutes=1, seconds=1))["sent"] == 2


def test_expired_invitations_are_closed_and_old_contacts_purged(app, planned):
    planned(expiry_days=14)
    with app.app_context():
        conn = db.session.connection()
        assert dispatch.expire(conn, NOW + timedelta(days=13)) == 0
        assert dispatch.expire(conn, NOW + timedelta(days=15)) == 1
        assert dispatch.purge_contacts(conn, timedelta(days=90), NOW + timedelta(days=91)) == 1
        db.session.commit()
        row = db.session.scalars(select(ServiceRequest)).one()
        assert row.contact_email is None and row.contact_hash is not None
    assert invitation(app).state == InvitationState.EXPIRED


def test_unsubscribing_from_an_invitation_stops_every_later_one(app, client, planned, add_requests):
    cid = planned()
    run(app)
    message = email.message_from_bytes(outbox(app)[0].read_bytes(), policy=email.policy.default)
    unsubscribe = message["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:5000")
    assert client.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    add_requests(request(2, contact_email="resident1@example.org", closed_at=NOW + timedelta(hours=1)))
    with app.app_context():
        report = plan(db.session.connection(), db.session.get(Campaign, cid), now=NOW + timedelta(hours=2))
    assert report.counts["opted_out"] == 1 and report.created == 0


def test_a_delivery_configuration_error_gives_the_claimed_rows_back(app, planned, monkeypatch):
    planned()

    class Refused(Scripted):
        def send(self, message):
            raise DeliveryError("SMTP login refused (535)")

    monkeypatch.setattr(dispatch, "email_backend", lambda config, outbox=None: Refused([]))
    with pytest.raises(DeliveryError):
        run(app)
    row = invitation(app)
    assert (row.state, row.claimed_by, row.attempts) == (InvitationState.PLANNED, None, 0)

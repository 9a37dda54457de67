"""Planning turns closed requests into invitations, rule by rule, once per request."""

from datetime import timedelta

from sqlalchemy import func, select

from tests.vocapp.campaigns.conftest import NOW, request
from vocapp.db import db
from vocapp.models import Campaign, Invitation, InvitationState, OptOut, RequestStatus, ServiceRequest
from vocapp.services.planning import plan, token_key
from vocapp.tokens import derive_token, hash_token


def run(app, campaign_id, *, dry_run=False, now=NOW):
    with app.app_context():
        report = plan(db.session.connection(), db.session.get(Campaign, campaign_id), now=now, dry_run=dry_run)
        db.session.commit()
        return report


def invitations(app) -> list[Invitation]:
    with app.app_context():
        return list(db.session.scalars(select(Invitation).order_by(Invitation.id)))


def test_each_closed_request_with_a_contact_gets_one_planned_invitation(app, make_campaign, add_requests):
    add_requests(*[request(i) for i in range(3)])
    report = run(app, make_campaign())
    assert report.counts["invited"] == 3 and report.created == 3
    first = invitations(app)[0]
    assert first.state == InvitationState.PLANNED and first.channel == "email"
    assert first.send_after == NOW  # closed 5 h ago + 1 h delay is past: send now
    assert first.expires_at == NOW + timedelta(days=14)


def test_planning_again_invites_nobody_twice(app, make_campaign, add_requests):
    add_requests(request(1))
    cid = make_campaign()
    run(app, cid)
    again = run(app, cid)
    assert again.created == 0 and again.counts["already_planned"] == 1
    assert len(invitations(app)) == 1


def test_a_dry_run_counts_every_rule_and_writes_nothing(app, make_campaign, add_requests, departments):
    add_requests(
        request(1), request(2, status=RequestStatus.CANCELLED), request(3, duplicate_of="SR-1"),
        request(4, service_code="ABUSE"), request(5, contact_email=None), request(6, agency="WTR"),
        request(7, closed_at=NOW - timedelta(days=30), requested_at=NOW - timedelta(days=31)),
    )
    report = run(app, make_campaign(excluded_service_codes=["ABUSE"]), dry_run=True)
    counts = report.counts
    assert counts["closed"] == 6  # the 30-day-old one is outside the 7-day window
    assert (counts["invited"], counts["cancelled"], counts["duplicate"], counts["sensitive"],
            counts["no_contact"], counts["filters"]) == (1, 1, 1, 1, 1, 1)
    assert invitations(app) == []


def test_reopened_requests_are_left_out(app, make_campaign, add_requests):
    add_requests(request(1))
    add_requests(request(1, status=RequestStatus.OPEN, closed_at=None, source_updated_at=NOW))
    add_requests(request(1, source_updated_at=NOW + timedelta(minutes=1)))
    assert run(app, make_campaign()).counts["reopened"] == 1


def test_sampling_picks_the_same_requests_every_time(app, make_campaign, add_requests):
    add_requests(*[request(i) for i in range(200)])
    cid = make_campaign(sample_rate=0.25, contact_cap_days=0)
    first = run(app, cid, dry_run=True).counts["invited"]
    assert 25 <= first <= 75
    assert run(app, cid, dry_run=True).counts["invited"] == first
    assert run(app, cid).created == first


def test_one_resident_gets_at_most_one_invitation_within_the_cap(app, make_campaign, add_requests):
    add_requests(request(1, contact_email="same@example.org"), request(2, contact_email="SAME@example.org"))
    report = run(app, make_campaign())
    assert report.counts["invited"] == 1 and report.counts["contact_cap"] == 1


def test_the_cap_spans_campaigns(app, make_campaign, add_requests):
    add_requests(request(1))
    run(app, make_campaign())
    assert run(app, make_campaign(name="Second")).counts["contact_cap"] == 1


def test_opted_out_residents_are_not_invited(app, make_campaign, add_requests):
    add_requests(request(1))
    with app.app_context():
        hashed = db.session.scalars(select(ServiceRequest.contact_hash)).one()
        db.session.add(OptOut(contact_hash=hashed))
        db.session.commit()
    assert run(app, make_campaign()).counts["opted_out"] == 1


def test_quiet_hours_move_the_send_time_to_their_end(app, make_campaign, add_requests):
    app.config["TIMEZONE"] = "America/Los_Angeles"
    add_requests(request(1, closed_at=NOW - timedelta(hours=1)))  # +2 h delay -> 11:00 local
    run(app, make_campaign(delay_minutes=120, quiet_start="08:00", quiet_end="12:00"))
    (invitation,) = invitations(app)
    assert invitation.send_after == NOW.replace(hour=20)  # 12:00 in Los Angeles


def test_the_residents_preference_and_language_are_used(app, make_campaign, add_requests):
    add_requests(request(1, contact_phone="(213) 555-0142", contact_preference="sms", language="es-MX"),
                 request(2, contact_email=None, contact_phone="2135550143", language="xx"))
    run(app, make_campaign())
    first, second = invitations(app)
    assert (first.channel, first.language) == ("sms", "es")
    assert (second.channel, second.language) == ("sms", "en")


def test_the_link_token_is_derived_and_only_its_hash_stored(app, make_campaign, add_requests):
    add_requests(request(1))
    run(app, make_campaign())
    (invitation,) = invitations(app)
    with app.app_context():
        assert invitation.token_hash == hash_token(derive_token(invitation.token_salt, token_key()))


def test_channel_filters_and_email_only_campaigns(app, make_campaign, add_requests):
    add_requests(request(1, contact_email=None, contact_phone="2135550142"), request(2))
    report = run(app, make_campaign(channel_order="email_only"), dry_run=True)
    assert report.counts["no_contact"] == 1 and report.counts["invited"] == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0

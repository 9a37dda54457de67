"""The funnel: closed -> eligible -> invited -> delivered -> answered, with the reasons in between."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from surveys.metrics import wilson
from tests.vocapp.campaigns.conftest import NOW, request
from vocapp.db import db
from vocapp.models import (
    Campaign,
    Invitation,
    InvitationState,
    RequestStatus,
    Response,
    ResponseSource,
    ServiceRequest,
)
from vocapp.services.funnel import by_campaign, campaign_funnel, recent_invitations
from vocapp.services.planning import plan_active


def plan_now(app, now=NOW):
    with app.app_context():
        plan_active(db.session.connection(), now=now)
        db.session.commit()


def invitation_ids(app, campaign_id) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Invitation.id).where(Invitation.campaign_id == campaign_id)
                                       .order_by(Invitation.id)))


def mark(app, ids, **values):
    with app.app_context():
        db.session.execute(update(Invitation).where(Invitation.id.in_(ids)).values(**values))
        db.session.commit()


def answer(app, invitation_id, *, set_state=True):
    """A resident's response through the invitation's link."""
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        db.session.add(Response(survey_id=invitation.survey_id, survey_version_id=invitation.survey_version_id,
                                department_id=invitation.department_id, invitation_id=invitation.id,
                                source=ResponseSource.INVITATION, channel=invitation.channel,
                                language=invitation.language))
        if set_state:
            invitation.state = InvitationState.ANSWERED
        db.session.commit()


def funnel_of(app, campaign_id):
    with app.app_context():
        return campaign_funnel(db.session.get(Campaign, campaign_id))


def counts(funnel) -> dict[str, int | None]:
    return {stage.key: stage.count for stage in funnel.stages}


@pytest.fixture()
def mixed(app, make_campaign, add_requests):
    """Six closed requests in scope (four invited), one elsewhere; two sent, one of them answered."""
    add_requests(
        *[request(i) for i in range(4)],
        request(10, status=RequestStatus.CANCELLED), request(11, contact_email=None),
        request(12, agency="WTR"),  # another department: outside the campaign's filters
    )
    cid = make_campaign()
    plan_now(app)
    ids = invitation_ids(app, cid)
    mark(app, ids[:2], state=InvitationState.SENT, sent_at=NOW)
    answer(app, ids[0])
    return cid


def test_stages_count_requests_then_invitations(app, mixed):
    funnel = funnel_of(app, mixed)
    assert [s.key for s in funnel.stages] == ["closed", "eligible", "invited", "delivered", "answered"]
    # closed: 7 in the window minus 1 outside the filters; eligible: minus the cancelled and the contactless one.
    assert counts(funnel) == {"closed": 6, "eligible": 4, "invited": 4, "delivered": 2, "answered": 1}


def test_each_stage_rate_is_a_share_of_the_previous_stage(app, mixed):
    rates = {s.key: s.rate for s in funnel_of(app, mixed).stages}
    assert rates == {"closed": None, "eligible": pytest.approx(4 / 6), "invited": 1.0, "delivered": 0.5,
                     "answered": 0.5}


def test_the_response_rate_is_answered_over_delivered_with_a_wilson_interval(app, mixed):
    funnel = funnel_of(app, mixed)
    assert funnel.response_rate == wilson(1, 2)
    assert funnel.response_rate.low < 0.5 < funnel.response_rate.high


def test_reasons_not_invited_are_the_planning_rules_counts(app, mixed):
    reasons = {rule: n for rule, _label, n in funnel_of(app, mixed).reasons}
    assert reasons["filters"] == 1 and reasons["cancelled"] == 1 and reasons["no_contact"] == 1
    assert "invited" not in reasons and "closed" not in reasons and "already_planned" not in reasons
    assert set(reasons) >= {"reopened", "duplicate", "sensitive", "opted_out", "not_sampled", "contact_cap"}


def test_later_planning_passes_keep_earlier_invitations_in_the_funnel(app, mixed):
    plan_now(app, now=NOW + timedelta(hours=1))  # everything is already_planned now
    funnel = funnel_of(app, mixed)
    assert counts(funnel) == {"closed": 6, "eligible": 4, "invited": 4, "delivered": 2, "answered": 1}
    assert funnel.stage("invited").rate == 1.0


def test_invitations_outlive_the_planning_window(app, mixed):
    # A week later the old requests left the window; their invitations still count, the rate stays honest.
    plan_now(app, now=NOW + timedelta(days=8))
    funnel = funnel_of(app, mixed)
    assert counts(funnel) == {"closed": 0, "eligible": 0, "invited": 4, "delivered": 2, "answered": 1}
    assert funnel.stage("invited").rate is None  # nothing eligible in the window: no share to give
    assert funnel.window_end == NOW + timedelta(days=8)
    assert funnel.window_start == NOW + timedelta(days=1)


def test_breakdowns_by_channel_and_language(app, make_campaign, add_requests):
    add_requests(request(1), request(2, language="es"),
                 request(3, contact_email=None, contact_phone="2135550143", language="es"))
    cid = make_campaign()
    plan_now(app)
    mark(app, invitation_ids(app, cid), state=InvitationState.SENT, sent_at=NOW)
    answer(app, invitation_ids(app, cid)[2])
    funnel = funnel_of(app, cid)
    channels = {row.key: (row.invited, row.delivered, row.answered) for row in funnel.by_channel}
    languages = {row.key: (row.invited, row.delivered, row.answered) for row in funnel.by_language}
    assert channels == {"email": (2, 2, 0), "sms": (1, 1, 1)}
    assert languages == {"en": (1, 1, 0), "es": (2, 2, 1)}
    sms = next(row for row in funnel.by_channel if row.key == "sms")
    assert sms.response_rate == wilson(1, 1)


def test_a_response_counts_as_answered_and_delivered_even_before_the_state_catches_up(app, make_campaign,
                                                                                          add_requests):
    add_requests(request(1))
    cid = make_campaign()
    plan_now(app)
    answer(app, invitation_ids(app, cid)[0], set_state=False)  # still "planned", never marked sent
    funnel = funnel_of(app, cid)
    assert (funnel.stage("delivered").count, funnel.stage("answered").count) == (1, 1)


def test_failed_and_expired_invitations_are_counted_by_state(app, mixed):
    ids = invitation_ids(app, mixed)
    mark(app, [ids[2]], state=InvitationState.FAILED, last_error="mailbox full")
    mark(app, [ids[1]], state=InvitationState.EXPIRED)  # it was sent: still delivered
    funnel = funnel_of(app, mixed)
    assert funnel.states["failed"] == 1 and funnel.states["expired"] == 1 and funnel.states["answered"] == 1
    assert funnel.stage("delivered").count == 2


def test_a_campaign_never_planned_has_only_invitation_stages(app, make_campaign):
    funnel = funnel_of(app, make_campaign(activate=False))
    assert counts(funnel) == {"closed": None, "eligible": None, "invited": 0, "delivered": 0, "answered": 0}
    assert funnel.response_rate.value is None and funnel.response_rate.n == 0
    assert funnel.planned_at is None and funnel.reasons == ()


def test_totals_by_campaign_for_lists_and_overviews(app, mixed, make_campaign):
    quiet = make_campaign(name="Quiet", activate=False)
    with app.app_context():
        totals = by_campaign([mixed, quiet])
    assert (totals[mixed].invited, totals[mixed].delivered, totals[mixed].answered) == (4, 2, 1)
    assert totals[mixed].response_rate == wilson(1, 2)
    assert totals[quiet].invited == 0 and totals[quiet].response_rate.value is None


def test_recent_invitations_carry_no_contact_details(app, mixed):
    mark(app, invitation_ids(app, mixed)[:1], last_error="mailbox full")
    with app.app_context():
        rows = recent_invitations(db.session.get(Campaign, mixed), limit=3)
        emails = set(db.session.scalars(select(ServiceRequest.contact_email)))
    assert len(rows) == 3 and rows[0].id > rows[-1].id  # newest first
    assert {r.source_id for r in rows} <= {f"SR-{i}" for i in range(4)}
    assert any(r.last_error == "mailbox full" for r in invitation_rows(app, mixed))
    fields = set(rows[0]._fields)
    assert not fields & {"contact_email", "contact_phone", "contact_hash", "token_hash", "token_salt"}
    assert not {str(v) for r in rows for v in r} & emails


def invitation_rows(app, campaign_id):
    with app.app_context():
        return recent_invitations(db.session.get(Campaign, campaign_id), limit=50)

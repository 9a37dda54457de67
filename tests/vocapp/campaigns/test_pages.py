"""Campaign pages: DCXOs create and run campaigns of their departments; others read; the funnel is drawn."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_PASSWORD, csrf_token
from tests.vocapp.campaigns.conftest import NOW, defaults, request
from vocapp.db import db, utcnow
from vocapp.models import AuditEntry, Campaign, CampaignStatus, Department, Invitation, RequestStatus, Survey, User
from vocapp.services import campaigns
from vocapp.services import surveys as design
from vocapp.services.planning import RULES, plan_active

ALLOWED, LOGIN, FORBIDDEN, HIDDEN = 200, 302, 403, 404


def live_version(app, survey_id) -> int:
    with app.app_context():
        return db.session.get(Survey, survey_id).live.id


def form(version_id: int, **changes) -> dict:
    """A complete campaign form as a browser posts it (unticked boxes are simply absent)."""
    data = {"name": "Potholes", "survey_version_id": version_id, "service_codes": "POTHOLE,\nGRAFFITI ",
            "wards": "", "channels": ["phone", "web"], "excluded_service_codes": "ABUSE", "exclude_reopened": "y",
            "exclude_duplicates": "y", "sample_rate": "25", "delay_minutes": "90", "quiet_start": "20:00",
            "quiet_end": "08:00", "channel_order": "sms_first", "reminders": "2", "reminder_after_hours": "48",
            "expiry_days": "10", "contact_cap_days": "60", "max_age_days": "5", "send_rate_per_minute": "100"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def load(app, campaign_id) -> Campaign:
    with app.app_context():
        return db.session.get(Campaign, campaign_id)


def audit_actions(app, campaign_id) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "campaign", AuditEntry.object_id == str(campaign_id)).order_by(AuditEntry.id)))


def plan_now(app, now=NOW):
    with app.app_context():
        plan_active(db.session.connection(), now=now)
        db.session.commit()


@pytest.fixture()
def water_campaign(app, departments):
    """A campaign of Water (outside the Streets DCXO's and viewer's scope); returns its id."""
    with app.app_context():
        dept = db.session.get(Department, departments["WTR"])
        survey = design.create_survey(None, department=dept, name="Water survey", template="nps")
        design.publish(None, survey)
        campaign = campaigns.create_campaign(None, department=dept, survey=survey,
                                             values=defaults(name="Leaks", survey_version_id=survey.live.id))
        db.session.commit()
        return campaign.id


# --- who may open what ---------------------------------------------------------------------------

PAGES = {"list": "/campaigns/", "new": "/campaigns/new", "overview": "/campaigns/{cid}",
         "dry run": "/campaigns/{cid}?dry_run=1", "edit": "/campaigns/{cid}/edit"}
READ = {"list", "overview", "dry run"}


def expected(role, page, own):
    if role is None:
        return LOGIN
    if page == "list":
        return ALLOWED
    editor = role in ("admin", "dcxo")
    if page == "new" or page not in READ:
        if not editor:
            return FORBIDDEN
        if page == "new":
            return ALLOWED
    return ALLOWED if role in ("admin", "program_lead") or own else HIDDEN


@pytest.mark.parametrize(("role", "page", "own"), [
    pytest.param(role, page, own, id=f"{role or 'anonymous'}-{page}-{'own' if own else 'other'}")
    for page in PAGES for role in ("admin", "dcxo", "program_lead", "viewer", None) for own in (True, False)
])
def test_role_gets_expected_status_for_campaign_page(client, login_as, make_campaign, water_campaign, role, page,
                                                     own):
    cid = make_campaign(activate=False) if own else water_campaign
    if role:
        login_as(role, ("STR",) if role in ("dcxo", "viewer") else ())
    assert client.get(PAGES[page].format(cid=cid)).status_code == expected(role, page, own)


def test_the_list_shows_only_the_users_departments(client, login_as, make_campaign, water_campaign):
    make_campaign(name="Street repairs", activate=False)
    login_as("dcxo", ("STR",))
    html = client.get("/campaigns/").get_data(as_text=True)
    assert "Street repairs" in html and "Leaks" not in html
    assert "New campaign" in html


def test_the_list_shows_invitations_answers_and_the_response_rate(app, client, login_as, make_campaign,
                                                                  add_requests):
    add_requests(*[request(i) for i in range(3)])
    cid = make_campaign(name="Street repairs")
    plan_now(app)
    login_as("viewer", ("STR",))
    html = client.get("/campaigns/").get_data(as_text=True)
    row = re.search(r"<tr>(?:(?!</tr>).)*Street repairs.*?</tr>", html, re.S).group(0)
    assert re.findall(r'<td class="text-end">(\d+)</td>', row) == ["3", "0"]
    assert "New campaign" not in html
    assert f'href="/campaigns/{cid}"' in row


# --- creating and editing ------------------------------------------------------------------------

def test_a_dcxo_creates_a_campaign_with_every_setting(app, client, login_as, survey_id, departments):
    login_as("dcxo", ("STR",))
    response = client.post("/campaigns/new", data=form(live_version(app, survey_id),
                                                       departments=[departments["STR"]]))
    assert response.status_code == 302, response.get_data(as_text=True)
    cid = int(response.headers["Location"].rsplit("/", 1)[1])
    c = load(app, cid)
    assert (c.name, c.status, c.department_id, c.survey_id) == ("Potholes", CampaignStatus.DRAFT, departments["STR"],
                                                                survey_id)
    assert c.service_codes == ["GRAFFITI", "POTHOLE"] and c.excluded_service_codes == ["ABUSE"] and c.wards == []
    assert c.channels == ["phone", "web"] and c.departments == [departments["STR"]]
    assert c.sample_rate == 0.25 and c.delay_minutes == 90 and c.channel_order == "sms_first"
    assert (c.quiet_start.strftime("%H:%M"), c.quiet_end.strftime("%H:%M")) == ("20:00", "08:00")
    assert (c.reminders, c.reminder_after_hours, c.expiry_days, c.contact_cap_days, c.max_age_days,
            c.send_rate_per_minute) == (2, 48, 10, 60, 5, 100)
    assert c.exclude_reopened and c.exclude_duplicates
    assert audit_actions(app, cid) == ["campaign.create"]


def test_the_new_form_explains_itself(app, client, login_as, survey_id, add_requests):
    add_requests(request(1, service_code="GRAFFITI", service_name="Graffiti removal", ward="7"))
    login_as("dcxo", ("STR",))
    html = client.get("/campaigns/new").get_data(as_text=True)
    assert "Post — v1 (live)" in html  # published versions as “Survey — vN”
    assert "<legend" in html and "Only requests made by" in html and "Phone call to 311" in html
    assert "Graffiti removal" in html and "<code>7</code>" in html  # known service codes and wards as hints
    assert "local time (UTC)" in html


def test_a_service_error_is_shown_on_its_field(app, client, login_as, survey_id):
    login_as("dcxo", ("STR",))
    response = client.post("/campaigns/new", data=form(live_version(app, survey_id), quiet_end=""))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert re.search(r'id="quiet_end-error"[^>]*>Give both ends of the quiet hours, or neither\.', html)
    assert re.search(r'<input[^>]*aria-describedby="quiet_end-hint quiet_end-error"[^>]*aria-invalid="true"', html)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"reminders": "9"}, "reminders", "Between 0 and 5."),
    ({"sample_rate": "0"}, "sample_rate", "A percentage from 1 to 100."),
    ({"name": "   "}, "name", "Give the campaign a name."),
    ({"channel_order": None}, "channel_order", "Choose how residents are contacted."),
    ({"quiet_start": "8pm"}, "quiet_start", "Not a valid time value."),
])
def test_bad_values_are_reported_on_their_field(app, client, login_as, survey_id, changes, field, message):
    login_as("dcxo", ("STR",))
    html = client.post("/campaigns/new", data=form(live_version(app, survey_id), **changes)).get_data(as_text=True)
    assert re.search(rf'id="{field}-error"[^>]*>[^<]*{re.escape(message)}', html), html


def test_a_dcxo_cannot_use_another_departments_survey_or_target_it(app, client, login_as, survey_id, departments,
                                                                   water_campaign):
    login_as("dcxo", ("STR",))
    water_version = load(app, water_campaign).survey_version_id
    html = client.post("/campaigns/new", data=form(water_version)).get_data(as_text=True)
    assert re.search(r'id="survey_version_id-error"[^>]*>Not a valid choice', html)
    html = client.post("/campaigns/new", data=form(live_version(app, survey_id),
                                                   departments=[departments["WTR"]])).get_data(as_text=True)
    assert re.search(r'id="departments-error"', html)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1  # only Water's own


def test_editing_shows_the_settings_and_records_the_changes(app, client, login_as, make_campaign, survey_id):
    cid = make_campaign(activate=False, sample_rate=0.5, service_codes=["POTHOLE"], quiet_start="21:00",
                        quiet_end="07:30")
    login_as("dcxo", ("STR",))
    html = client.get(f"/campaigns/{cid}/edit").get_data(as_text=True)
    assert 'value="50"' in html and "POTHOLE</textarea>" in html and 'value="21:00"' in html
    response = client.post(f"/campaigns/{cid}/edit", data=form(live_version(app, survey_id), name="Renamed",
                                                               sample_rate="10"))
    assert response.status_code == 302
    c = load(app, cid)
    assert (c.name, c.sample_rate) == ("Renamed", 0.1)
    assert audit_actions(app, cid) == ["campaign.create", "campaign.update"]


def test_an_ended_campaign_cannot_be_edited(app, client, login_as, make_campaign, survey_id):
    cid = make_campaign()
    login_as("dcxo", ("STR",))
    client.post(f"/campaigns/{cid}/end")
    assert client.get(f"/campaigns/{cid}/edit").status_code == 302
    html = client.post(f"/campaigns/{cid}/edit", data=form(live_version(app, survey_id))).get_data(as_text=True)
    assert "This campaign has ended" in html
    assert load(app, cid).name == "Post-service"


# --- scope and read-only roles -------------------------------------------------------------------

def test_another_departments_dcxo_gets_404_and_changes_nothing(app, client, login_as, water_campaign, survey_id):
    login_as("dcxo", ("STR",))
    for action in ("activate", "end"):
        assert client.post(f"/campaigns/{water_campaign}/{action}").status_code == HIDDEN
    assert client.post(f"/campaigns/{water_campaign}/edit",
                       data=form(live_version(app, survey_id))).status_code == HIDDEN
    assert client.get(f"/campaigns/{water_campaign}/funnel.png").status_code == HIDDEN
    c = load(app, water_campaign)
    assert (c.status, c.name) == (CampaignStatus.DRAFT, "Leaks")


@pytest.mark.parametrize("role", ["viewer", "program_lead"])
def test_read_only_roles_see_no_buttons_and_cannot_post(app, client, login_as, make_campaign, survey_id, role):
    cid = make_campaign(activate=False)
    login_as(role, ("STR",) if role == "viewer" else ())
    html = client.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert "Activate" not in html and "Edit settings" not in html
    for url in (f"/campaigns/{cid}/activate", f"/campaigns/{cid}/end", f"/campaigns/{cid}/edit", "/campaigns/new"):
        assert client.post(url, data=form(live_version(app, survey_id))).status_code == FORBIDDEN, url
    assert load(app, cid).status == CampaignStatus.DRAFT
    assert audit_actions(app, cid) == ["campaign.create"]


# --- status buttons ------------------------------------------------------------------------------

def test_status_buttons_move_the_campaign_and_are_audited(app, client, login_as, make_campaign):
    cid = make_campaign(activate=False)
    login_as("dcxo", ("STR",))
    steps = [("activate", "Pause", CampaignStatus.ACTIVE), ("pause", "Resume", CampaignStatus.PAUSED),
             ("resume", "Pause", CampaignStatus.ACTIVE), ("end", None, CampaignStatus.ENDED)]
    for action, next_button, status in steps:
        page = client.post(f"/campaigns/{cid}/{action}", follow_redirects=True).get_data(as_text=True)
        assert load(app, cid).status == status
        if next_button:
            assert f">{next_button}</button>" in page
    assert audit_actions(app, cid) == ["campaign.create", "campaign.active", "campaign.paused", "campaign.active",
                                       "campaign.ended"]
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry.actor_label.startswith("dcxo.") and entry.changes == {"status": ["active", "ended"]}


def test_a_status_move_that_is_not_allowed_is_refused_with_a_message(app, client, login_as, make_campaign):
    cid = make_campaign()
    login_as("dcxo", ("STR",))
    html = client.post(f"/campaigns/{cid}/resume", follow_redirects=True).get_data(as_text=True)
    assert "cannot become active" in html
    assert audit_actions(app, cid) == ["campaign.create", "campaign.active"]


@pytest.mark.csrf
def test_status_buttons_need_the_forms_csrf_token(app, client, make_user, make_campaign):
    cid = make_campaign(activate=False)
    with app.app_context():
        email = db.session.get(User, make_user("dcxo", ("STR",))).email
    client.post("/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": csrf_token(client, "/login")})
    assert client.post(f"/campaigns/{cid}/activate").status_code == 400
    assert load(app, cid).status == CampaignStatus.DRAFT
    token = csrf_token(client, f"/campaigns/{cid}")
    assert client.post(f"/campaigns/{cid}/activate", data={"csrf_token": token}).status_code == 302
    assert load(app, cid).status == CampaignStatus.ACTIVE


# --- dry run, funnel and invitations -------------------------------------------------------------

def test_a_dry_run_shows_what_each_rule_keeps_and_writes_nothing(app, client, login_as, make_campaign,
                                                                 add_requests):
    closed = utcnow() - timedelta(hours=3)
    add_requests(request(1, closed_at=closed), request(2, closed_at=closed, status=RequestStatus.CANCELLED),
                 request(3, closed_at=closed, contact_email=None))
    cid = make_campaign(activate=False)
    login_as("viewer", ("STR",))
    page = client.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert "Dry run now</a>" in page and "Dry run now</th>" not in page
    html = client.get(f"/campaigns/{cid}?dry_run=1").get_data(as_text=True)
    table = re.search(r'<table[^>]*id="rules-table".*?</table>', html, re.S).group(0)
    rows = {unescape(label): n for label, n in re.findall(
        r'<th scope="row"[^>]*>([^<]+)</th>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>([\d,]+)</td>', table)}
    assert list(rows) == list(RULES.values())
    assert (rows[RULES["closed"]], rows[RULES["cancelled"]], rows[RULES["no_contact"]], rows[RULES["invited"]]) == (
        "3", "1", "1", "1")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Invitation)) == 0
        assert db.session.get(Campaign, cid).last_plan is None


def test_the_funnel_is_a_table_an_inline_chart_and_downloads(app, client, login_as, make_campaign, add_requests):
    add_requests(*[request(i) for i in range(3)], request(9, contact_email=None))
    cid = make_campaign()
    plan_now(app)
    login_as("viewer", ("STR",))
    html = client.get(f"/campaigns/{cid}").get_data(as_text=True)
    table = re.search(r'<table[^>]*id="funnel-table".*?</table>', html, re.S).group(0)
    assert [n for _, n in re.findall(r'<th scope="row"[^>]*>([^<]+)</th>\s*<td[^>]*>([\d,]+)', table)] == [
        "4", "3", "3", "0", "0"]
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and "Funnel: Post-service" in svg and "<script" not in svg and "style=" not in svg
    png = client.get(f"/campaigns/{cid}/funnel.png")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert "attachment" in png.headers["Content-Disposition"]
    svg_file = client.get(f"/campaigns/{cid}/funnel.svg")
    assert svg_file.mimetype == "image/svg+xml" and svg_file.data.startswith(b"<?xml")
    assert "By channel" in html and "By language" in html and "Response rate" in html


def test_a_campaign_with_nothing_to_draw_has_no_chart(app, client, login_as, make_campaign):
    cid = make_campaign(activate=False)
    login_as("dcxo", ("STR",))
    html = client.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert "<svg" not in html and "has not been planned yet" in html and "No invitations yet" in html
    assert client.get(f"/campaigns/{cid}/funnel.png").status_code == 404


def test_invitations_are_listed_without_contact_details(app, client, login_as, make_campaign, add_requests):
    add_requests(request(1, contact_phone="(213) 555-0142"), request(2))
    cid = make_campaign()
    plan_now(app)
    login_as("dcxo", ("STR",))
    html = client.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert "SR-1" in html and "SR-2" in html and "Waiting to send" in html
    assert "resident1@example.org" not in html and "555" not in html and "@example.org" not in html
    assert f'href="/surveys/{load(app, cid).survey_id}/results"' in html

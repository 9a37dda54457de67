"""Campaign pages: list, create and edit, status buttons, dry run, funnel (chart and downloads), invitations."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from surveys.languages import get as get_language
from vocapp import charts
from vocapp.access import get_scoped_or_404, roles_required
from vocapp.campaigns import bp
from vocapp.campaigns.forms import CHANNEL_LABELS, CampaignForm
from vocapp.campaigns.queries import campaigns_visible_to, known_values, scope_of, version_choices
from vocapp.db import db
from vocapp.errors import ValidationError
from vocapp.forms import ActionForm, save
from vocapp.models import Campaign, CampaignStatus, Department, Role, ServiceRequest, SurveyVersion
from vocapp.services import campaigns as service
from vocapp.services.departments import visible_departments
from vocapp.services.funnel import Funnel, by_campaign, campaign_funnel, recent_invitations
from vocapp.services.planning import RULES, PlanReport, plan
from vocapp.services.surveys import definition

EDITORS = (Role.ADMIN, Role.DCXO)
#: Status buttons: action in the URL -> (new status, button, message once done).
ACTIONS = {
    "activate": (CampaignStatus.ACTIVE, "Activate", "Campaign active: the next planning pass invites residents."),
    "pause": (CampaignStatus.PAUSED, "Pause", "Campaign paused: nothing is planned or sent until you resume it."),
    "resume": (CampaignStatus.ACTIVE, "Resume", "Campaign resumed."),
    "end": (CampaignStatus.ENDED, "End", "Campaign ended: no more invitations or reminders."),
}
#: Which buttons each status shows.
BUTTONS = {
    CampaignStatus.DRAFT: ("activate", "end"),
    CampaignStatus.ACTIVE: ("pause", "end"),
    CampaignStatus.PAUSED: ("resume", "end"),
    CampaignStatus.ENDED: (),
}
INVITATIONS_SHOWN = 50
STATE_LABELS = {"planned": "Waiting to send", "sent": "Sent", "reminded": "Reminded", "answered": "Answered",
                "expired": "Expired", "failed": "Failed", "opted_out": "Opted out"}


def _editable(campaign_id: int) -> Campaign:
    if current_user.role not in EDITORS:
        abort(403)
    return get_scoped_or_404(Campaign, campaign_id)


def _form(campaign: Campaign | None) -> CampaignForm:
    """The form with its choices: the user's departments and the published survey versions."""
    form = CampaignForm()
    departments = visible_departments(current_user, include_inactive=False)
    if campaign is not None:
        # Targets set by someone with a wider scope stay listed: the service's scope check then names the
        # problem on saving, instead of the box vanishing and the target being dropped silently.
        known = {d.id for d in departments}
        departments += [db.session.get(Department, d) for d in campaign.departments if d not in known]
    form.departments.choices = [(d.id, d.name) for d in departments if d is not None]
    form.survey_version_id.choices = version_choices(current_user, campaign.survey if campaign else None)
    if request.method == "GET":
        if campaign is not None:
            form.fill(campaign)
        else:  # the model's defaults, so a campaign made here and one made elsewhere start alike
            form.sample_rate.data, form.exclude_reopened.data, form.exclude_duplicates.data = 100, True, True
            for name in ("delay_minutes", "channel_order", "reminders", "reminder_after_hours", "expiry_days",
                         "contact_cap_days", "max_age_days", "send_rate_per_minute"):
                getattr(form, name).data = Campaign.__table__.c[name].default.arg
    return form


def _hints(campaign: Campaign | None) -> dict:
    """The most frequent service codes and wards of the requests the campaign would look at."""
    ids = set(campaign.departments) if campaign else scope_of(current_user)
    return {"services": known_values(ServiceRequest.service_code, ids),
            "wards": known_values(ServiceRequest.ward, ids)}


@bp.get("/")
@login_required
def index():
    """Campaigns of the user's departments with their invitations and response rate."""
    items = list(db.session.scalars(campaigns_visible_to(current_user)))
    return render_template("campaigns/index.html", campaigns=items, totals=by_campaign(c.id for c in items),
                           can_edit=current_user.role in EDITORS)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create():
    """A new draft campaign for one of the user's published surveys."""
    form = _form(None)
    if not form.survey_version_id.choices:
        flash("Publish a survey first: a campaign sends a published survey version.", "warning")

    def create_it() -> Campaign:
        version = db.session.get(SurveyVersion, form.survey_version_id.data)
        if version is None or not current_user.can_see_department(version.survey.department_id):
            raise ValidationError("Choose one of your published surveys.", field="survey_version_id")
        return service.create_campaign(current_user, department=version.survey.department, survey=version.survey,
                                       values=form.values(), scope=scope_of(current_user))

    if saved := save(form, create_it):
        flash(f"Campaign “{saved.value.name}” saved as a draft. Try a dry run, then activate it.", "success")
        return redirect(url_for(".detail", campaign_id=saved.value.id))
    return render_template("campaigns/form.html", form=form, campaign=None, hints=_hints(None)), \
        400 if form.errors or form.form_errors else 200


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int):
    """Change a campaign's settings (invitations already planned keep theirs)."""
    campaign = _editable(campaign_id)
    if campaign.status == CampaignStatus.ENDED and request.method == "GET":
        flash("This campaign has ended; its settings can no longer change.", "warning")
        return redirect(url_for(".detail", campaign_id=campaign.id))
    form = _form(campaign)
    if save(form, lambda: service.update_campaign(current_user, campaign, form.values(), scope_of(current_user))):
        flash("Campaign settings saved.", "success")
        return redirect(url_for(".detail", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=campaign, hints=_hints(campaign)), \
        400 if form.errors or form.form_errors else 200


def _dry_run(campaign: Campaign) -> PlanReport:
    """What planning would do right now; writes nothing."""
    return plan(db.session.connection(), campaign, dry_run=True,
                survey_languages=definition(campaign.version).languages)


def _chart(campaign: Campaign, funnel: Funnel, fmt: str, *, standalone: bool = False) -> str | bytes | None:
    """The funnel as a horizontal bar chart (each bar labelled with its count and share of the stage above)."""
    stages = [s for s in funnel.stages if s.count is not None]
    if not any(s.count for s in stages):
        return None
    title = f"Funnel: {campaign.name}"
    labels = [s.label for s in stages]
    counts = [s.count for s in stages]
    notes = [f"{s.count:,}" + (f" ({s.rate:.0%})" if s.rate is not None else "") for s in stages]
    if fmt == "png":
        return charts.distribution_png(title, labels, counts, notes)
    return charts.distribution_svg(title, labels, counts, notes, id_prefix=f"funnel-{campaign.id}",
                                   standalone=standalone)


@bp.get("/<int:campaign_id>")
@login_required
def detail(campaign_id: int):
    """Settings, status buttons, planning rules (last pass and an optional dry run), the funnel, invitations."""
    campaign = get_scoped_or_404(Campaign, campaign_id)
    funnel = campaign_funnel(campaign)
    invitations = recent_invitations(campaign, INVITATIONS_SHOWN)
    svg = _chart(campaign, funnel, "svg")
    languages = {row.key for row in funnel.by_language} | {i.language for i in invitations}
    return render_template(
        "campaigns/detail.html", campaign=campaign, funnel=funnel, invitations=invitations,
        dry_run=_dry_run(campaign) if request.args.get("dry_run") == "1" else None, rules=RULES,
        chart=Markup(svg) if svg else None,  # noqa: S704 - our own cleaned matplotlib SVG, not user HTML
        shown=INVITATIONS_SHOWN, can_edit=current_user.role in EDITORS, action_form=ActionForm(),
        buttons=[(action, ACTIONS[action][1]) for action in BUTTONS[campaign.status]],
        departments=[d for d in (db.session.get(Department, i) for i in campaign.departments) if d is not None],
        channel_labels=[CHANNEL_LABELS.get(c, c) for c in campaign.channels], orders=service.CHANNEL_ORDERS,
        state_labels=STATE_LABELS, language_names={code: get_language(code).english for code in languages},
    )


@bp.get("/<int:campaign_id>/funnel.<any(png, svg):fmt>")
@login_required
def funnel_chart(campaign_id: int, fmt: str):
    """The funnel chart as a PNG or SVG download."""
    campaign = get_scoped_or_404(Campaign, campaign_id)
    body = _chart(campaign, campaign_funnel(campaign), fmt, standalone=True)
    if body is None:
        abort(404)
    return Response(body, mimetype="image/png" if fmt == "png" else "image/svg+xml", headers={
        "Content-Disposition": f'attachment; filename="campaign-{campaign.id}-funnel.{fmt}"',
        "Cache-Control": "no-store"})


@bp.post("/<int:campaign_id>/<any(activate, pause, resume, end):action>")
@login_required
def change_status(campaign_id: int, action: str):
    """Activate, pause, resume or end (audited by the service)."""
    campaign = _editable(campaign_id)
    status, _label, done = ACTIONS[action]
    form = ActionForm()
    if not form.validate_on_submit():
        flash("This form had expired; nothing was changed. Please try again.", "danger")
    else:
        try:
            service.set_status(current_user, campaign, status)
        except ValidationError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(done, "success")
    return redirect(url_for(".detail", campaign_id=campaign.id))

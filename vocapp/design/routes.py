"""Designer pages: survey list and overview, settings, questions, translations, preview, publishing,
test links, public link and QR code, and staff-assisted entry."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice

from surveys.languages import DEFAULT, LANGUAGES, get, is_supported
from surveys.model import Survey as Definition
from vocapp.access import get_scoped_or_404, roles_required
from vocapp.db import db
from vocapp.design import bp, qr
from vocapp.design.forms import (
    KIND_LABELS,
    OPERATOR_LABELS,
    EntryForm,
    NewSurveyForm,
    QuestionForm,
    SettingsForm,
    TestLinksForm,
)
from vocapp.errors import ValidationError
from vocapp.forms import ActionForm, save
from vocapp.i18n import use_language
from vocapp.models import Department, Response, ResponseSource, Role, Survey, SurveyVersion
from vocapp.respond.page import render_message, render_survey, submitted_values
from vocapp.respond.questionnaire import build_fields
from vocapp.services import responses
from vocapp.services import surveys as service
from vocapp.services.departments import visible_departments

EDITORS = (Role.ADMIN, Role.DCXO)


def _readable(survey_id: int) -> Survey:
    return get_scoped_or_404(Survey, survey_id)


def _editable(survey_id: int) -> Survey:
    if current_user.role not in EDITORS:
        abort(403)
    return get_scoped_or_404(Survey, survey_id)


def _working(survey: Survey) -> Definition:
    """The definition being designed: the open draft, else the newest version."""
    return service.definition(survey.draft or survey.latest)


@bp.get("/")
@login_required
def index():
    """Surveys of the user's departments."""
    show_archived = request.args.get("archived") == "1"
    surveys = db.session.scalars(service.surveys_visible_to(current_user, include_archived=show_archived)).all()
    counts = dict(db.session.execute(
        select(Response.survey_id, func.count()).where(Response.survey_id.in_([s.id for s in surveys] or [-1]))
        .group_by(Response.survey_id)).all())
    return render_template("design/index.html", surveys=surveys, counts=counts, show_archived=show_archived,
                           can_edit=current_user.role in EDITORS)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create():
    """Start a survey from a template or blank."""
    form = NewSurveyForm()
    form.department.choices = [SelectChoice(d.id, d.name)
                               for d in visible_departments(current_user, include_inactive=False)]
    if not form.department.choices:
        flash("You have no active department to make a survey for.", "warning")

    def create_it() -> Survey:
        department = db.session.get(Department, form.department.data)
        if department is None or not current_user.can_see_department(department.id):
            raise ValidationError("Choose one of your departments.", field="department")
        template = None if form.template.data == "blank" else form.template.data
        return service.create_survey(current_user, department=department, name=form.name.data, template=template)

    if saved := save(form, create_it):
        flash(f"Survey “{saved.value.name}” created as a draft.", "success")
        return redirect(url_for(".detail", survey_id=saved.value.id))
    return render_template("design/new.html", form=form), 400 if form.errors else 200


@bp.get("/<int:survey_id>")
@login_required
def detail(survey_id: int):
    """A survey's status, versions, and everything one can do with it."""
    survey = _readable(survey_id)
    working = _working(survey)
    counts = dict(db.session.execute(
        select(Response.survey_version_id, func.count()).where(Response.survey_id == survey.id)
        .group_by(Response.survey_version_id)).all())
    problems = working.problems(publishing=True) if survey.draft else []
    return render_template(
        "design/detail.html", survey=survey, working=working, counts=counts, problems=problems,
        can_edit=current_user.role in EDITORS, action_form=ActionForm(), links_form=TestLinksForm(),
        languages=[get(code) for code in working.languages], completeness=working.completeness(),
        operators=OPERATOR_LABELS,
    )


@bp.route("/<int:survey_id>/settings", methods=["GET", "POST"])
@login_required
def settings(survey_id: int):
    """Name, title, introduction and languages."""
    survey = _editable(survey_id)
    working = _working(survey)
    form = SettingsForm(data={"name": survey.name, "title": working.title.get(DEFAULT, ""),
                              "intro": working.intro.get(DEFAULT, ""),
                              "languages": [c for c in working.languages if c != DEFAULT]})
    if save(form, lambda: service.set_settings(current_user, survey, name=form.name.data, title=form.title.data,
                                               intro=form.intro.data or "", languages=form.languages.data or [])):
        flash("Settings saved in the draft.", "success")
        return redirect(url_for(".questions", survey_id=survey.id))
    return render_template("design/settings.html", survey=survey, form=form), 400 if form.errors else 200


@bp.get("/<int:survey_id>/questions")
@login_required
def questions(survey_id: int):
    """The questions of the draft (or of the live version, which editing copies into a new draft)."""
    survey = _editable(survey_id)
    return render_template("design/questions.html", survey=survey, working=_working(survey),
                           kinds=KIND_LABELS, operators=OPERATOR_LABELS, action_form=ActionForm())


def _question_form(survey: Survey, working: Definition, before_key: str | None) -> QuestionForm:
    form = QuestionForm()
    earlier = []
    for q in working.questions:
        if q.key == before_key:
            break
        earlier.append(q)
    form.condition_question.choices = [SelectChoice("", "(always show)"),
                                       *(SelectChoice(q.key, f"{q.key}: {q.text.get(DEFAULT, '')[:60]}")
                                         for q in earlier)]
    form.earlier = earlier
    return form


@bp.route("/<int:survey_id>/questions/new", methods=["GET", "POST"])
@login_required
def new_question(survey_id: int):
    """Add a question at the end."""
    survey = _editable(survey_id)
    working = _working(survey)
    form = _question_form(survey, working, None)
    if request.method == "GET":
        kind = request.args.get("kind", "csat")
        form.kind.data = kind if kind in {k.value for k in KIND_LABELS} else "csat"
        form.key.data = service.first_free(form.kind.data, {q.key for q in working.questions}, "{base}_{n}")
    if saved := save(form, lambda: service.add_question(current_user, survey, form.to_question())):
        flash(f"Question “{form.key.data}” added to draft v{saved.value.number}.", "success")
        return redirect(url_for(".questions", survey_id=survey.id))
    return render_template("design/question.html", survey=survey, form=form, question=None,
                           kinds=KIND_LABELS), 400 if form.errors else 200


@bp.route("/<int:survey_id>/questions/<key>", methods=["GET", "POST"])
@login_required
def edit_question(survey_id: int, key: str):
    """Change a question (its translations of unchanged texts are kept)."""
    survey = _editable(survey_id)
    working = _working(survey)
    try:
        question = working.question(key)
    except KeyError:
        abort(404)
    form = _question_form(survey, working, key)
    if request.method == "GET":
        form.fill(question)
    if save(form, lambda: service.replace_question(current_user, survey, key, form.to_question())):
        flash(f"Question “{form.key.data}” saved.", "success")
        return redirect(url_for(".questions", survey_id=survey.id))
    return render_template("design/question.html", survey=survey, form=form, question=question,
                           kinds=KIND_LABELS), 400 if form.errors else 200


@bp.post("/<int:survey_id>/questions/<key>/move")
@login_required
def move_question(survey_id: int, key: str):
    """Move a question up or down."""
    survey = _editable(survey_id)
    offset = -1 if request.form.get("direction") == "up" else 1
    _act(lambda: service.move_question(current_user, survey, key, offset), None)
    return redirect(url_for(".questions", survey_id=survey.id, _anchor=f"q-{key}"))


@bp.post("/<int:survey_id>/questions/<key>/remove")
@login_required
def remove_question(survey_id: int, key: str):
    """Remove a question."""
    survey = _editable(survey_id)
    _act(lambda: service.remove_question(current_user, survey, key), f"Question “{key}” removed.")
    return redirect(url_for(".questions", survey_id=survey.id))


def _act(action, success: str | None) -> bool:
    """Run a button's action with CSRF checked; flash its outcome."""
    form = ActionForm()
    if not form.validate_on_submit():
        flash("This form had expired; nothing was changed. Please try again.", "danger")
        return False
    try:
        action()
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return False
    db.session.commit()
    if success:
        flash(success, "success")
    return True


@bp.get("/<int:survey_id>/translations")
@login_required
def translations(survey_id: int):
    """How complete each language is, and what is missing."""
    survey = _readable(survey_id)
    working = _working(survey)
    others = [lang for lang in LANGUAGES if lang.code != DEFAULT]
    completeness = working.completeness([lang.code for lang in others])
    rows = [(lang, *completeness[lang.code], working.missing(lang.code)) for lang in others]
    offered = set(working.languages)
    return render_template("design/translations.html", survey=survey, rows=rows, offered=offered,
                           can_edit=current_user.role in EDITORS)


@bp.route("/<int:survey_id>/translations/<lang>", methods=["GET", "POST"])
@login_required
def translate(survey_id: int, lang: str):
    """Edit every text of the draft in one language, beside the English."""
    survey = _editable(survey_id)
    if lang == DEFAULT or not is_supported(lang):
        abort(404)
    working = _working(survey)
    texts = list(working.texts())
    fields = {f"t{i}": TextAreaField(t.label) for i, t in enumerate(texts)}
    form = type("TranslationForm", (FlaskForm,), fields)(
        data={f"t{i}": t.texts.get(lang, "") for i, t in enumerate(texts)})
    values = lambda: {t.id: getattr(form, f"t{i}").data or "" for i, t in enumerate(texts)}  # noqa: E731
    if save(form, lambda: service.set_translations(current_user, survey, lang, values())):
        flash(f"{get(lang).english} texts saved in the draft.", "success")
        return redirect(url_for(".translations", survey_id=survey.id))
    rows = [(t, getattr(form, f"t{i}")) for i, t in enumerate(texts)]
    return render_template("design/translate.html", survey=survey, lang=get(lang), rows=rows)


def _preview_version(survey: Survey) -> SurveyVersion:
    number = request.args.get("version", type=int)
    if number:
        for version in survey.versions:
            if version.number == number:
                return version
        abort(404)
    return survey.draft or survey.latest


@bp.route("/<int:survey_id>/preview", methods=["GET", "POST"])
@login_required
def preview(survey_id: int):
    """The survey exactly as residents see it, in any language; answers are checked, never saved."""
    survey = _readable(survey_id)
    version = _preview_version(survey)
    definition = service.definition(version)
    lang = use_language(request.args.get("lang") or DEFAULT)
    status = "draft" if version.status.value == "draft" else "published"
    note = f"Preview of {status} version {version.number} — answers are checked but not saved."

    def url(code: str) -> str:
        return url_for(".preview", survey_id=survey.id, version=version.number, lang=code)

    extra = {"preview_note": note}
    if request.method == "GET":
        return render_survey(definition, lang, action=url(lang), switch_url=url, preview=True, extra=extra)
    raw = submitted_values(definition)
    answers, errors = definition.validate(raw)
    if errors:
        return render_survey(definition, lang, action=url(lang), switch_url=url, raw=raw, errors=errors,
                             preview=True, extra=extra, status=422)
    return render_message("thanks", lang, department=survey.department.name, preview=True, preview_note=note)


@bp.post("/<int:survey_id>/publish")
@login_required
def publish(survey_id: int):
    """Publish the draft as the new live version."""
    survey = _editable(survey_id)
    number = survey.draft.number if survey.draft else None
    _act(lambda: service.publish(current_user, survey), f"Version {number} is live.")
    return redirect(url_for(".detail", survey_id=survey.id))


@bp.post("/<int:survey_id>/archive")
@login_required
def archive(survey_id: int):
    """Archive: no new answers; results stay."""
    survey = _editable(survey_id)
    _act(lambda: service.archive(current_user, survey), "Survey archived.")
    return redirect(url_for(".detail", survey_id=survey.id))


@bp.post("/<int:survey_id>/restore")
@login_required
def restore(survey_id: int):
    """Bring an archived survey back."""
    survey = _editable(survey_id)
    _act(lambda: service.restore(current_user, survey), "Survey restored.")
    return redirect(url_for(".detail", survey_id=survey.id))


@bp.post("/<int:survey_id>/clone")
@login_required
def clone(survey_id: int):
    """Copy the newest version into a new survey."""
    survey = _editable(survey_id)
    if saved := save(ActionForm(), lambda: service.clone(current_user, survey)):
        flash(f"Created “{saved.value.name}” as a draft.", "success")
        return redirect(url_for(".detail", survey_id=saved.value.id))
    flash("This form had expired; nothing was changed. Please try again.", "danger")
    return redirect(url_for(".detail", survey_id=survey.id))


@bp.post("/<int:survey_id>/public-link")
@login_required
def public_link(survey_id: int):
    """Turn the public link and QR code on or off."""
    survey = _editable(survey_id)
    enable = request.form.get("enable") == "1"
    _act(lambda: service.set_public_link(current_user, survey, enable),
         "Public link on." if enable else "Public link off; the old link and QR code no longer work.")
    return redirect(url_for(".detail", survey_id=survey.id))


@bp.post("/<int:survey_id>/test-links")
@login_required
def test_links(survey_id: int):
    """Make one-time test links to the live version; shown once (only their hashes are kept)."""
    survey = _editable(survey_id)
    form = TestLinksForm()
    if not form.validate_on_submit():
        flash("Choose at least one language.", "danger")
        return redirect(url_for(".detail", survey_id=survey.id))
    try:
        links = responses.create_test_invitations(current_user, survey, form.languages.data)
    except ValidationError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".detail", survey_id=survey.id))
    db.session.commit()
    made = [(get(link.language), url_for("respond.answer", token=link.token, _external=True)) for link in links]
    return render_template("design/test_links.html", survey=survey, links=made, days=responses.TEST_LINK_DAYS)


def _public_url(survey: Survey) -> str:
    if not survey.public_slug:
        abort(404)
    return url_for("respond.public", slug=survey.public_slug, via="qr", _external=True)


@bp.get("/<int:survey_id>/qr")
@login_required
def qr_poster(survey_id: int):
    """A printable poster with the QR code of the public link."""
    survey = _readable(survey_id)
    url = _public_url(survey)
    working = service.definition(survey.live or survey.latest)
    titles = [(get(code), working.title.get(code)) for code in working.languages if working.title.get(code)]
    return render_template("design/qr.html", survey=survey, url=url, svg=qr.svg(url), titles=titles[:4])


@bp.get("/<int:survey_id>/qr.<any(svg, png):fmt>")
@login_required
def qr_download(survey_id: int, fmt: str):
    """The QR code of the public link as an SVG or PNG file."""
    survey = _readable(survey_id)
    return qr.download(_public_url(survey), fmt, f"survey-{survey.id}-qr")


@bp.route("/<int:survey_id>/enter", methods=["GET", "POST"])
@roles_required(*EDITORS)
def enter(survey_id: int):
    """Staff type in the answers a resident gave by phone, on paper or in person."""
    survey = get_scoped_or_404(Survey, survey_id)
    version = survey.live
    if version is None or survey.archived:
        flash("Only a published, active survey can take responses.", "warning")
        return redirect(url_for(".detail", survey_id=survey.id))
    definition = service.definition(version)
    form = EntryForm()
    raw = submitted_values(definition) if request.method == "POST" else None
    errors = {}
    if form.validate_on_submit():
        answers, errors = definition.validate(raw)
        if not errors:
            responses.store_response(survey=survey, version=version, answers=answers,
                                     source=ResponseSource.ASSISTED, channel=form.channel.data,
                                     language=form.language.data, entered_by=current_user)
            db.session.commit()
            flash("Response saved. You can enter the next one.", "success")
            return redirect(url_for(".enter", survey_id=survey.id))
    fields = build_fields(definition, DEFAULT, raw, errors)
    status = 422 if errors or form.errors else 200
    return render_template("design/enter.html", survey=survey, version=version, form=form, fields=fields,
                           errors=[f for f in fields if f.error]), status

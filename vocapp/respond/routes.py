"""Resident pages: /s/<token> (one-time link), /s/<token>/unsubscribe, /p/<slug> (public link)."""

from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from surveys.languages import best_match
from vocapp.db import db, utcnow
from vocapp.extensions import csrf, limiter
from vocapp.models import ResponseSource, Survey, SurveyStatus
from vocapp.respond import bp
from vocapp.respond.page import HONEYPOT, choose_language, csrf_ok, render_message, render_survey, submitted_values
from vocapp.services import responses
from vocapp.services.surveys import definition


def _resident_limit() -> str:
    return current_app.config["RESIDENT_RATE_LIMIT"]


def _public_limit() -> str:
    return current_app.config["PUBLIC_RATE_LIMIT"]


def _unknown_link():
    lang = choose_language([], preferred=best_match(lang for lang, _q in request.accept_languages))
    return render_message("unknown", lang, status=404)


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt  # checked in the view, so an expired form comes back with the answers kept
@limiter.limit(_resident_limit, methods=["POST"])
def answer(token: str):
    """Show and take the survey of a one-time link."""
    invitation = responses.find_invitation(token)
    if invitation is None:
        return _unknown_link()
    survey = definition(invitation.version)
    lang = choose_language(survey.languages, preferred=invitation.language)
    state = responses.link_state(invitation)
    if state == "answered":
        return render_message("answered", lang, status=409 if request.method == "POST" else 200)
    if state == "closed":
        return render_message("closed", lang, status=410)
    if invitation.opened_at is None and request.method == "GET":
        invitation.opened_at = utcnow()
        db.session.commit()

    def url(code: str) -> str:
        return url_for(".answer", token=token, lang=code)

    form_action = url(lang)
    if request.method == "GET":
        return render_survey(survey, lang, action=form_action, switch_url=url,
                             extra={"unsubscribe_url": url_for(".unsubscribe", token=token, lang=lang)})
    raw = submitted_values(survey)
    if not csrf_ok():
        return render_survey(survey, lang, action=form_action, switch_url=url, raw=raw, status=400,
                             notice=_("This page was open for a long time, so we could not save it yet. "
                                      "Your answers are still here: please press Send again."))
    if request.form.get(HONEYPOT):
        return render_message("thanks", lang)  # a bot: look successful, store nothing
    answers, errors = survey.validate(raw)
    if errors:
        return render_survey(survey, lang, action=form_action, switch_url=url, raw=raw, errors=errors,
                             status=422)
    try:
        responses.submit_invitation(invitation, answers, lang)
    except responses.AlreadyAnswered:
        db.session.rollback()
        return render_message("answered", lang, status=409)
    except responses.LinkClosed:
        return render_message("closed", lang, status=410)
    db.session.commit()
    return render_message("thanks", lang, department=invitation.survey.department.name)


@bp.route("/s/<token>/unsubscribe", methods=["GET", "POST"])
@csrf.exempt  # checked in the view, to answer in the resident's language
@limiter.limit(_resident_limit, methods=["POST"])
def unsubscribe(token: str):
    """Ask (GET) and record (POST) that a resident wants no more survey invitations."""
    invitation = responses.find_invitation(token)
    if invitation is None:
        return _unknown_link()
    lang = choose_language(definition(invitation.version).languages, preferred=invitation.language)
    action = url_for(".unsubscribe", token=token, lang=lang)
    if request.method == "POST" and csrf_ok():
        responses.opt_out(invitation)
        db.session.commit()
        return render_message("unsubscribed", lang)
    expired = request.method == "POST"
    return render_message("unsubscribe", lang, action=action, expired=expired, status=400 if expired else 200)


@bp.route("/p/<slug>", methods=["GET", "POST"])
@csrf.exempt  # checked in the view, see answer()
@limiter.limit(_public_limit, methods=["POST"])
def public(slug: str):
    """The anonymous public link (and QR code) of a survey."""
    survey_row = db.session.scalar(select(Survey).where(Survey.public_slug == slug))
    if survey_row is None or survey_row.status != SurveyStatus.ACTIVE or survey_row.live is None:
        return _unknown_link()
    version = survey_row.live
    survey = definition(version)
    lang = choose_language(survey.languages)
    via = "qr" if request.args.get("via") == "qr" else "web"

    def url(code: str) -> str:
        return url_for(".public", slug=slug, lang=code, via=via if via == "qr" else None)

    if request.method == "GET":
        return render_survey(survey, lang, action=url(lang), switch_url=url)
    raw = submitted_values(survey)
    if not csrf_ok():
        return render_survey(survey, lang, action=url(lang), switch_url=url, raw=raw, status=400,
                             notice=_("This page was open for a long time, so we could not save it yet. "
                                      "Your answers are still here: please press Send again."))
    if request.form.get(HONEYPOT):
        return render_message("thanks", lang)
    answers, errors = survey.validate(raw)
    if errors:
        return render_survey(survey, lang, action=url(lang), switch_url=url, raw=raw, errors=errors, status=422)
    responses.store_response(survey=survey_row, version=version, answers=answers, source=ResponseSource.PUBLIC,
                             channel=via, language=lang)
    db.session.commit()
    return render_message("thanks", lang, department=survey_row.department.name)

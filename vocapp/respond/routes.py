"""Resident pages: /s/<token> (one-time link), /s/<token>/unsubscribe, /p/<slug> (public link)."""

from __future__ import annotations

from flask import request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from surveys.languages import best_match
from vocapp import ratelimit
from vocapp.db import db, utcnow
from vocapp.extensions import csrf
from vocapp.models import ResponseSource, Survey, SurveyStatus
from vocapp.respond import bp, formtoken
from vocapp.respond.page import HONEYPOT, choose_language, render_message, render_survey, submitted_values
from vocapp.services import links, responses
from vocapp.services.surveys import definition
from vocapp.writelock import write_turn


def _unknown_link():
    lang = choose_language([], preferred=best_match(lang for lang, _q in request.accept_languages))
    return render_message("unknown", lang, status=404)


@bp.route("/s/<token>", methods=["GET", "POST"])
@csrf.exempt  # checked in the view, so an expired form comes back with the answers kept
@ratelimit.limit("RESIDENT_RATE_LIMIT")
def answer(token: str):
    """Show and take the survey of a one-time link."""
    # A plain connection, no ORM session: this is every resident's submission (see services.links).
    with links.connect() as conn:
        link = links.find_link(conn, token)
        if link is None:
            return _unknown_link()
        survey = links.definition_of(conn, link.survey_version_id)
        lang = choose_language(survey.languages, preferred=link.language)
        state = link.status(utcnow())
        if state == "answered":
            return render_message("answered", lang, status=409 if request.method == "POST" else 200)
        if state == "closed":
            return render_message("closed", lang, status=410)
        url = _switcher(token)
        if request.method == "GET":
            links.mark_opened(conn, link)
            conn.commit()
            return _form(survey, lang, url,
                                 extra={"unsubscribe_url": url_for(".unsubscribe", token=token, lang=lang)})
        raw = submitted_values(survey)
        if not formtoken.valid(request.form.get("csrf_token")):  # an expired page: keep the answers, ask to send again
            return _form(survey, lang, url, raw=raw, status=400,
                                 notice=_("This page was open for a long time, so we could not save it yet. "
                                          "Your answers are still here: please press Send again."))
        if request.form.get(HONEYPOT):
            return render_message("thanks", lang)  # a bot: look successful, store nothing
        answers, errors = survey.validate(raw)
        if errors:
            return _form(survey, lang, url, raw=raw, errors=errors,
                                 status=422)
        with write_turn(conn):
            stored = links.submit(conn, link, survey, answers, lang) is not None
            conn.commit() if stored else conn.rollback()
        if not stored:
            return render_message("answered", lang, status=409)
        return render_message("thanks", lang, department=link.department_name)


def _form(survey, lang: str, url, **kwargs):
    """The resident survey form, posting back to `url(lang)` with a cookie-free form token."""
    return render_survey(survey, lang, action=url(lang), switch_url=url, form_token=formtoken.issue(), **kwargs)


def _switcher(token: str):
    def url(code: str) -> str:
        return url_for(".answer", token=token, lang=code)

    return url


@bp.route("/s/<token>/unsubscribe", methods=["GET", "POST"])
@csrf.exempt  # checked in the view, to answer in the resident's language
@ratelimit.limit("RESIDENT_RATE_LIMIT")
def unsubscribe(token: str):
    """Ask (GET) and record (POST) that a resident wants no more survey invitations."""
    with db.engine.connect() as conn:
        link = links.find_link(conn, token)
        if link is None:
            return _unknown_link()
        lang = choose_language(links.definition_of(conn, link.survey_version_id).languages,
                               preferred=link.language)
        action = url_for(".unsubscribe", token=token, lang=lang)
        # RFC 8058 one-click: a mail client posts "List-Unsubscribe=One-Click" with no form of ours;
        # the secret link itself is the authority, as it is for answering.
        one_click = request.form.get("List-Unsubscribe") == "One-Click"
        if request.method == "POST" and (one_click or formtoken.valid(request.form.get("csrf_token"))):
            links.opt_out(conn, link)
            conn.commit()
            return render_message("unsubscribed", lang)
    expired = request.method == "POST"
    return render_message("unsubscribe", lang, action=action, expired=expired, form_token=formtoken.issue(),
                          status=400 if expired else 200)


@bp.route("/p/<slug>", methods=["GET", "POST"])
@csrf.exempt  # checked in the view, see answer()
@ratelimit.limit("PUBLIC_RATE_LIMIT")
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
        return _form(survey, lang, url)
    raw = submitted_values(survey)
    if not formtoken.valid(request.form.get("csrf_token")):
        return _form(survey, lang, url, raw=raw, status=400,
                             notice=_("This page was open for a long time, so we could not save it yet. "
                                      "Your answers are still here: please press Send again."))
    if request.form.get(HONEYPOT):
        return render_message("thanks", lang)
    answers, errors = survey.validate(raw)
    if errors:
        return _form(survey, lang, url, raw=raw, errors=errors, status=422)
    responses.store_response(survey=survey_row, version=version, answers=answers, source=ResponseSource.PUBLIC,
                             channel=via, language=lang)
    db.session.commit()
    return render_message("thanks", lang, department=survey_row.department.name)

"""Shared rendering of the resident survey page (also used for staff preview and entry)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask import current_app, render_template, request
from flask_wtf.csrf import generate_csrf

from surveys.errors import AnswerError
from surveys.languages import LANGUAGES, best_match, get, normalize
from surveys.model import Survey, localized
from vocapp.i18n import use_language
from vocapp.respond.questionnaire import build_fields

__all__ = ["choose_language", "render_survey", "render_message", "submitted_values", "HONEYPOT"]

#: A field people never see or fill in; bots that fill every input give themselves away.
HONEYPOT = "website"


def choose_language(offered: Sequence[str], preferred: str | None = None) -> str:
    """The page language: ?lang=, else `preferred` (the invitation's), else the browser's; then use it."""
    asked = normalize(request.args.get("lang") or request.form.get("lang"))
    if asked:
        return use_language(asked)
    if preferred and normalize(preferred):
        return use_language(preferred)
    browser = [lang.replace("_", "-") for lang, _q in request.accept_languages]
    return use_language(best_match([b for b in browser if normalize(b) in offered] or ["en"]))


def submitted_values(survey: Survey) -> dict[str, list[str]]:
    """The form's values for each question key (lists, for multi-answer questions)."""
    return {q.key: request.form.getlist(q.key) for q in survey.questions}


def render_survey(survey: Survey, lang: str, *, action: str, switch_url, raw: Mapping | None = None,
                  errors: Mapping[str, AnswerError] | None = None, notice: str = "", preview: bool = False,
                  status: int = 200, extra: Mapping | None = None, form_token: str | None = None):
    """The survey form in `lang`, with earlier input and errors when re-shown.

    Resident pages pass their cookie-free `form_token` (see formtoken); staff pages
    (preview, assisted entry) get Flask-WTF's session-bound one.
    """
    offered = [get(code) for code in survey.languages] or [get("en")]
    fields = build_fields(survey, lang, raw, errors)
    context = dict(
        lang=get(lang), title=localized(survey.title, lang), intro=localized(survey.intro, lang),
        fields=fields, errors=[f for f in fields if f.error], action=action, notice=notice, preview=preview,
        languages=[(language, switch_url(language.code)) for language in offered if language.code != lang],
        honeypot=HONEYPOT, all_languages=LANGUAGES, form_token=form_token or generate_csrf(), **(extra or {}),
    )
    return render_template("respond/survey.html", **context), status


#: Message pages with nothing per request in them: rendered once per language (and department).
STATIC_MESSAGES = frozenset({"thanks", "answered", "closed", "unknown", "unsubscribed"})


def render_message(kind: str, lang: str, *, status: int = 200, **context):
    """A short resident page: thanks, already answered, closed, unknown, unsubscribe."""
    if kind not in STATIC_MESSAGES or context.get("preview"):
        return render_template(f"respond/{kind}.html", lang=get(lang), **context), status
    # Every submission ends here, so the page is rendered once and reused.
    cache: dict = current_app.extensions.setdefault("vocapp.message_pages", {})
    key = (kind, lang, tuple(sorted(context.items())))
    page = cache.get(key)
    if page is None:
        if len(cache) > 2000:  # departments x languages x kinds stays far below this
            cache.clear()
        page = cache[key] = render_template(f"respond/{kind}.html", lang=get(lang), **context)
    return page, status

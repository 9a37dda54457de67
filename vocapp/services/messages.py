"""The invitation a resident receives: an email (text and HTML) or an SMS, in their language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date
from flask import current_app, render_template
from flask_babel import gettext as _

from surveys.languages import get
from vocapp.delivery.base import Email, Sms
from vocapp.delivery.sms import segments
from vocapp.i18n import babel_locale, use_language

__all__ = ["Letter", "compose_email", "compose_sms", "link_of"]


@dataclass(frozen=True)
class Letter:
    """What an invitation message says, as plain values."""

    invitation_id: int
    token: str
    language: str
    #: 0 for the first message, then 1, 2... for reminders.
    reminder: int
    expires_at: datetime | None
    service_name: str | None
    closed_at: datetime | None
    email: str | None = None
    phone: str | None = None

    @property
    def reference(self) -> str:
        return f"inv-{self.invitation_id}-r{self.reminder}"


def link_of(token: str, path: str = "") -> str:
    """The resident's link on BASE_URL (the web app may run elsewhere than the dispatcher)."""
    return f"{str(current_app.config['BASE_URL']).rstrip('/')}/s/{token}{path}"


def _date(value: datetime | None, lang: str) -> str:
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(str(current_app.config["TIMEZONE"])))
    return format_date(local.date(), format="long", locale=babel_locale(lang))


def compose_email(letter: Letter) -> Email:
    """The invitation (or reminder) email in the letter's language, with one-click unsubscribe headers."""
    lang = use_language(letter.language)
    unsubscribe = link_of(letter.token, "/unsubscribe")
    subject = (_("Reminder: how did we do with your 311 request?") if letter.reminder
               else _("How did we do with your 311 request?"))
    context = dict(service=letter.service_name, closed=_date(letter.closed_at, lang),
                   expires=_date(letter.expires_at, lang), link=link_of(letter.token), unsubscribe=unsubscribe,
                   city=current_app.config["CITY_NAME"], lang=get(lang), subject=subject)
    return Email(
        to=letter.email or "", subject=subject, text=render_template("email/invitation.txt", **context),
        html=render_template("email/invitation.html", **context), language=lang, reference=letter.reference,
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def compose_sms(letter: Letter) -> Sms:
    """The invitation SMS: one segment where the language allows, the opt-out line only if it still fits."""
    use_language(letter.language)
    city = current_app.config["CITY_NAME"]
    body = (_("%(city)s 311 reminder: how did we do with your request? %(link)s", city=city,
              link=link_of(letter.token)) if letter.reminder
            else _("%(city)s 311: your request was closed. How did we do? %(link)s", city=city,
                   link=link_of(letter.token)))
    stop = _("Reply STOP to opt out.")
    with_stop = f"{body} {stop}"
    count, _encoding = segments(with_stop)
    if count == 1 or segments(body)[0] > 1:  # keep the opt-out line unless it alone costs a second segment
        body = with_stop
    return Sms(to=letter.phone or "", body=body, reference=letter.reference)

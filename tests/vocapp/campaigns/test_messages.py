"""Invitation messages: in the resident's language, with the link, the expiry and a way out."""

from datetime import UTC, datetime

import pytest

from vocapp.delivery.sms import segments
from vocapp.services.messages import Letter, compose_email, compose_sms


def letter(lang="en", reminder=0) -> Letter:
    return Letter(invitation_id=7, token="T" * 32, language=lang, reminder=reminder,
                  expires_at=datetime(2026, 12, 4, 12, tzinfo=UTC), service_name="Bulky Items",
                  closed_at=datetime(2026, 11, 20, 12, tzinfo=UTC), email="ana@example.org", phone="+12135550142")


@pytest.fixture()
def ctx(app):
    app.config.update(CITY_NAME="Springfield", BASE_URL="https://survey.example.gov/")
    with app.test_request_context():
        yield


def test_the_email_has_the_link_expiry_and_one_click_unsubscribe(ctx):
    message = compose_email(letter())
    assert message.subject == "How did we do with your 311 request?"
    assert "https://survey.example.gov/s/" + "T" * 32 in message.text
    assert "“Bulky Items” was closed on November 20, 2026.\nWould you" in message.text
    assert "works until December 4, 2026" in message.text
    assert message.headers["List-Unsubscribe"] == f"<https://survey.example.gov/s/{'T' * 32}/unsubscribe>"
    assert message.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.reference == "inv-7-r0" and message.language == "en"


def test_the_email_is_in_the_residents_language_and_direction(ctx):
    message = compose_email(letter("ar"))
    assert message.language == "ar" and 'dir="rtl"' in message.html and "Bulky Items" in message.text
    assert compose_email(letter("es")).subject.startswith("¿")


def test_reminders_say_so(ctx):
    assert compose_email(letter(reminder=1)).subject.startswith("Reminder:")
    assert "reminder" in compose_sms(letter(reminder=1)).body


def test_an_english_sms_fits_one_segment_with_the_opt_out_line(ctx):
    body = compose_sms(letter()).body
    assert body.endswith("Reply STOP to opt out.") and segments(body)[0] == 1


def test_the_html_escapes_what_comes_from_the_311_system(ctx):
    evil = Letter(**{**letter().__dict__, "service_name": "<script>alert(1)</script>"})
    assert "<script>" not in compose_email(evil).html

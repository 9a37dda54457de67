"""Building messages: MIME structure, encodings of non-Latin scripts, headers, and no way to inject one."""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from tests.vocapp.delivery.conftest import SENDER, UNSUBSCRIBE, invitation
from vocapp.delivery.base import DeliveryError, InvalidMessage
from vocapp.delivery.mail import MailFormat


def parse(data: bytes):
    return message_from_bytes(data, policy=policy.default)


@pytest.fixture()
def fmt() -> MailFormat:
    return MailFormat.from_sender(SENDER)


def test_invitation_is_multipart_alternative_with_every_header(fmt):
    now = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    rendered = fmt.render(invitation(), now=now)
    msg = parse(rendered.data)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in msg.iter_parts())
    assert msg["From"] == SENDER
    assert msg["To"] == "ana@example.org"
    assert msg["Subject"] == "How did we do on your 311 request?"
    assert msg["Date"].datetime == now
    assert msg["Message-ID"] == rendered.message_id
    assert rendered.message_id.endswith("@example.gov>") and "inv-1-r0" in rendered.message_id
    assert msg["Content-Language"] == "en"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Unsubscribe"] == UNSUBSCRIBE
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["MIME-Version"] == "1.0"
    assert all("MIME-Version" not in part for part in msg.iter_parts())
    assert msg.get_body(("plain",)).get_content().startswith("Thank you for contacting City 311.")
    assert '<a href="https://311.example.gov/s/Zk3Q">' in msg.get_body(("html",)).get_content()
    assert (rendered.envelope_from, rendered.envelope_to) == ("no-reply@example.gov", "ana@example.org")


def test_bytes_are_seven_bit_with_crlf_line_ends(fmt):
    data = fmt.render(invitation(subject="¿Cómo lo hicimos?", text="Gracias, señora. " * 20)).data
    assert data.isascii()  # no server needs 8BITMIME
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998


@pytest.mark.parametrize(("language", "subject", "text"), [
    ("ar", "كيف كانت خدمتنا؟ ساعدنا في تحسين خدمات المدينة من خلال استطلاع قصير", "شكرا لتواصلك مع 311.\n"),
    ("zh-Hans", "我们的服务怎么样？请花一分钟填写调查问卷", "感谢您联系 311。\n"),
    ("km", "តើសេវាកម្មរបស់យើងយ៉ាងដូចម្តេច?", "សូមអរគុណ។\n"),
    ("vi", "Chúng tôi đã phục vụ bạn thế nào?", "Cảm ơn bạn đã liên hệ với 311.\n"),
])
def test_non_latin_subjects_and_bodies_round_trip(fmt, language, subject, text):
    data = fmt.render(invitation(subject=subject, text=text, html=f"<p dir='auto'>{text}</p>", language=language)).data
    assert subject.encode() not in data  # RFC 2047 encoded words, not raw UTF-8
    assert b"=?utf-8?" in data
    msg = parse(data)
    assert msg["Subject"] == subject
    assert msg["Content-Language"] == language
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == text  # MIME's canonical CRLF
    assert text.strip() in msg.get_body(("html",)).get_content()


def test_long_unsubscribe_url_stays_one_readable_line(fmt):
    url = "<https://311.example.gov/s/" + "x" * 180 + "/unsubscribe>"
    data = fmt.render(invitation(headers={"List-Unsubscribe": url})).data
    assert f"List-Unsubscribe: {url}\r\n".encode() in data  # not folded into encoded words
    assert parse(data)["List-Unsubscribe"] == url


def test_text_only_message_is_single_part(fmt):
    msg = parse(fmt.render(invitation(html=None)).data)
    assert msg.get_content_type() == "text/plain"
    assert msg["Content-Language"] == "en"


@pytest.mark.parametrize("field", ["subject", "to"])
@pytest.mark.parametrize("payload", ["\r\nBcc: victim@example.com", "\nBcc: victim@example.com", "\rX: y", "\x00"])
def test_line_breaks_in_headers_are_refused(fmt, field, payload):
    base = {"subject": "Hello", "to": "ana@example.org"}
    base[field] += payload
    with pytest.raises(InvalidMessage):
        fmt.render(invitation(**base))


def test_line_breaks_in_extra_headers_are_refused(fmt):
    with pytest.raises(InvalidMessage, match="List-Unsubscribe"):
        fmt.render(invitation(headers={"List-Unsubscribe": "<https://x.example>\r\nBcc: victim@example.com"}))
    with pytest.raises(InvalidMessage, match="header name"):
        fmt.render(invitation(headers={"Bad Name": "x"}))
    with pytest.raises(InvalidMessage, match="header name"):
        fmt.render(invitation(headers={"X-Evil:\r\nBcc": "x"}))


@pytest.mark.parametrize("name", ["Bcc", "to", "FROM", "Message-ID", "Content-Type", "Subject"])
def test_extra_headers_cannot_override_the_builders(fmt, name):
    with pytest.raises(InvalidMessage, match="set by the message builder"):
        fmt.render(invitation(headers={name: "x@example.com"}))


@pytest.mark.parametrize("address", ["ana", "ana@localhost", "ana example@example.org", "a@b.c, d@e.f",
                                     "José@example.org", "<ana@example.org>x"])
def test_malformed_recipients_are_refused_without_quoting_them(fmt, address):
    with pytest.raises(InvalidMessage) as info:
        fmt.render(invitation(to=address))
    assert address not in str(info.value)


def test_international_domain_is_sent_in_ascii(fmt):
    rendered = fmt.render(invitation(to="ana@müller.example"))
    assert rendered.envelope_to == "ana@xn--mller-kva.example"
    assert parse(rendered.data)["To"] == "ana@xn--mller-kva.example"


def test_bad_language_tag_is_refused(fmt):
    with pytest.raises(InvalidMessage):
        fmt.render(invitation(language="en\r\nBcc: x@example.com"))


@pytest.mark.parametrize("sender", ["", "no-reply", "City <no-reply@example.gov>\r\nBcc: x@example.com",
                                    "a@example.gov, b@example.gov"])
def test_unusable_mail_from_is_a_configuration_error(sender):
    with pytest.raises(DeliveryError, match="MAIL_FROM"):
        MailFormat.from_sender(sender)


def test_message_ids_are_unique_and_need_no_host_name_lookup(fmt, monkeypatch):
    def no_lookup(*args):
        raise AssertionError("socket.getfqdn() called while building a message")

    monkeypatch.setattr(socket, "getfqdn", no_lookup)
    ids = {fmt.render(invitation()).message_id for _ in range(200)}
    assert len(ids) == 200


def test_non_ascii_display_name_in_mail_from(fmt):
    msg = parse(MailFormat.from_sender("Ciudad de Mérida 311 <no-reply@example.gov>").render(invitation()).data)
    assert msg["From"].addresses[0].display_name == "Ciudad de Mérida 311"


@pytest.mark.parametrize("text", [
    "",
    "short ASCII\n",
    "a long ASCII line " * 20 + "\n",  # longer than 78: quoted-printable
    "trailing spaces   \nand\ttabs\t\n",
    ".\n..two dots\nFrom the start\n=?utf-8?q?not-a-word?= and = signs\n",
    "windows\r\nline\r\nends\r\n",
    "mostly ASCII with one é\n",
    "ខ្មែរ " * 200,
    "emoji 😀 and CJK 中文\n",
])
@pytest.mark.parametrize("html", [None, "<p>same</p>"])
def test_bodies_round_trip_whatever_the_transfer_encoding(fmt, text, html):
    msg = parse(fmt.render(invitation(text=text, html=html)).data)
    body = msg.get_body(("plain",))
    assert body["Content-Transfer-Encoding"] in {"7bit", "quoted-printable", "base64"}
    got = body.get_content().replace("\r\n", "\n")
    assert got == text.replace("\r\n", "\n") + ("" if text.endswith("\n") else "\n")


def test_transfer_encoding_suits_the_script(fmt):
    def cte(text):
        return parse(fmt.render(invitation(text=text, html=None)).data)["Content-Transfer-Encoding"]

    assert cte("Plain English.\n") == "7bit"
    assert cte("¿Cómo lo hicimos? Gracias por su paciencia.\n") == "quoted-printable"
    assert cte("كيف كانت خدمتنا؟\n") == "base64"


def test_every_header_line_stays_within_78_characters(fmt):
    subject = "كيف كانت خدمتنا؟ ساعدنا في تحسين خدمات المدينة من خلال استطلاع قصير لمدة دقيقة واحدة فقط"
    data = fmt.render(invitation(subject=subject, headers={})).data
    head = data.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    assert parse(data)["Subject"] == subject


@pytest.mark.parametrize("subject", ["=?utf-8?q?Not_an_encoded_word?=", "A long English subject line " * 4])
def test_ascii_subjects_that_need_care_round_trip(fmt, subject):
    assert parse(fmt.render(invitation(subject=subject)).data)["Subject"] == subject

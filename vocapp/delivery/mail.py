"""Turning an `Email` into RFC 5322 bytes: multipart/alternative, UTF-8, RFC 2047 headers, no header injection."""

from __future__ import annotations

import base64
import binascii
import functools
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid

from vocapp.delivery.base import DeliveryError, Email, InvalidMessage

__all__ = ["POLICY", "MailFormat", "Rendered", "check_header", "encoded_words", "recipient"]


class _HeaderRegistry(HeaderRegistry):
    """The stock header factory, but creating each header class once: the stock one calls ``type()`` per header."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        cls = self._classes.get(key)
        if cls is None:
            cls = self._classes[key] = super().__getitem__(name)
        return cls


class _Policy(EmailPolicy):
    """EmailPolicy parsing each distinct raw header value once.

    Raw values (``set_raw``) are parsed again on every read, and the generator
    reads Content-Type and Content-Transfer-Encoding several times per part;
    header objects are immutable, so identical values can share one.
    """

    def header_fetch_parse(self, name: str, value: str):
        if hasattr(value, "name") or not name.lower().startswith("content-"):
            return super().header_fetch_parse(name, value)
        # Only the MIME headers: a cache must not keep addresses or subjects alive after sending.
        return _parse_raw(self.header_factory, name, value)


@functools.lru_cache(maxsize=256)
def _parse_raw(factory, name: str, value: str):
    return factory(name, "".join(value.splitlines()))


#: How messages are built and written: CRLF line ends; ``cte_type="7bit"``, as
#: every body is quoted-printable, base64 or short-lined ASCII, so no server needs
#: 8BITMIME; ``refold_source="none"`` keeps the raw headers stored with
#: ``set_raw`` as they are: a long List-Unsubscribe URL stays on one line instead
#: of becoming encoded words that no mail client would recognise as a link.
POLICY = _Policy(linesep="\r\n", cte_type="7bit", refold_source="none", header_factory=_HeaderRegistry())

#: Headers the builder sets itself; callers may not override them through ``Email.headers``.
_RESERVED = frozenset({
    "from", "sender", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "content-type",
    "content-transfer-encoding", "content-language", "auto-submitted", "x-auto-response-suppress",
})
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 field-name: printable ASCII except ':'
_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # CR, LF, NUL and the other controls (TAB is folding white space)
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
_REFERENCE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_LINE = 998  # RFC 5322 hard limit for one header line
_FOLD_AT = 60  # a Subject this short fits one 78-character line unfolded
_WORD_BYTES = 39  # UTF-8 bytes per encoded word: 52 base64 characters + 12 of "=?utf-8?b?" and "?="
_FOLD_LIMIT = 78  # longer body lines are sent quoted-printable (RFC 5322 2.1.1 "SHOULD")


def check_header(name: str, value: str) -> None:
    """Raise `InvalidMessage` unless ``name: value`` is one safe header line (no CR, LF or other controls).

    Examples
    --------
    >>> check_header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    >>> check_header("Subject", "hi\\r\\nBcc: victim@example.com")
    Traceback (most recent call last):
    ...
    vocapp.delivery.base.InvalidMessage: header Subject contains a line break or control character
    """
    if not _HEADER_NAME.fullmatch(name):
        raise InvalidMessage(f"invalid header name {name[:40]!r}")
    if _FORBIDDEN.search(value):
        raise InvalidMessage(f"header {name} contains a line break or control character")


def recipient(address: str) -> str:
    """Return the addr-spec to put in To and RCPT TO, with an internationalised domain in its ASCII form.

    Raises `InvalidMessage` (without repeating the address) when it is not one
    plain mailbox.

    Examples
    --------
    >>> recipient(" ana@example.org ")
    'ana@example.org'
    >>> recipient("ana@münchen.de")
    'ana@xn--mnchen-3ya.de'
    >>> recipient("ana@example.org, bob@example.org")
    Traceback (most recent call last):
    ...
    vocapp.delivery.base.InvalidMessage: invalid email address
    """
    address = address.strip()
    check_header("To", address)
    try:
        parsed = Address(addr_spec=address)
        domain = parsed.domain.encode("idna").decode("ascii")
    except (ValueError, UnicodeError, IndexError, HeaderParseError):
        # A non-ASCII local part would need SMTPUTF8 end to end; such mailboxes are too rare to risk.
        raise InvalidMessage("invalid email address") from None
    if not parsed.username or "." not in domain.strip("."):
        raise InvalidMessage("invalid email address")
    return Address(username=parsed.username, domain=domain).addr_spec


def encoded_words(text: str) -> str:
    """``text`` as RFC 2047 base64 encoded words, folded one per line, each line within 78 characters.

    Words hold whole characters (at most 39 UTF-8 bytes, 64 characters
    encoded), so "Subject: " plus the first word still fits one line.

    Examples
    --------
    >>> encoded_words("¿Cómo lo hicimos?")
    '=?utf-8?b?wr9Dw7NtbyBsbyBoaWNpbW9zPw==?='
    >>> from email.header import decode_header, make_header
    >>> subject = "كيف كانت خدمتنا؟ ساعدنا في تحسين خدمات المدينة"
    >>> str(make_header(decode_header(encoded_words(subject)))) == subject
    True
    """
    chunks: list[str] = []
    start, size = 0, 0
    for i, char in enumerate(text):
        width = len(char.encode("utf-8"))
        if size + width > _WORD_BYTES:
            chunks.append(text[start:i])
            start, size = i, 0
        size += width
    chunks.append(text[start:])
    words = (f"=?utf-8?b?{base64.b64encode(chunk.encode('utf-8')).decode('ascii')}?=" for chunk in chunks)
    return f"{POLICY.linesep} ".join(words)


def _set_text(part: EmailMessage, text: str, subtype: str) -> None:
    """Make ``part`` a UTF-8 text/<subtype> part with the shortest safe transfer encoding.

    This is what ``EmailMessage.set_content`` decides (7bit for short ASCII
    lines, else quoted-printable or base64, whichever is shorter), done with
    the C codecs and raw headers: set_content parses and re-serialises its
    Content-Type header several times and sniffs with a pure-Python encoder,
    which made it most of the cost of a message.
    """
    # MIME's canonical form of text: CRLF line ends, also inside quoted-printable and base64.
    data = b"\r\n".join(text.encode("utf-8").splitlines()) + b"\r\n"
    lines = data.split(b"\r\n")
    if data.isascii() and max(map(len, lines)) <= _FOLD_LIMIT:
        cte, payload = "7bit", data.decode("ascii")
    else:
        quoted = binascii.b2a_qp(data, istext=True)  # soft line breaks at 76 characters
        base64_length = (len(data) + 2) // 3 * 4 * 77 // 76
        if len(quoted) <= base64_length:
            cte, payload = "quoted-printable", quoted.decode("ascii")
        else:
            cte, payload = "base64", base64.encodebytes(data).decode("ascii")
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    part.set_raw("Content-Transfer-Encoding", cte)
    part.set_payload(payload)


@dataclass(frozen=True)
class Rendered:
    """A built message: the bytes to send or store, its envelope and its Message-ID."""

    data: bytes
    envelope_from: str
    envelope_to: str
    message_id: str


@dataclass(frozen=True)
class MailFormat:
    """The sender-side settings every message shares: the From header, the envelope sender, the Message-ID domain."""

    sender: str
    envelope_from: str
    domain: str

    @classmethod
    def from_sender(cls, sender: str) -> MailFormat:
        """Derive the format from MAIL_FROM (``"City 311 <no-reply@example.gov>"``), raising `DeliveryError` when unusable.

        The Message-ID domain is the sender's: passing it to ``make_msgid``
        also spares a ``socket.getfqdn()`` lookup per message.

        Examples
        --------
        >>> MailFormat.from_sender("City 311 <no-reply@example.gov>").domain
        'example.gov'
        """
        sender = sender.strip()
        try:
            check_header("From", sender)
            addresses = POLICY.header_factory("From", sender).addresses
            if len(addresses) != 1:
                raise InvalidMessage("not one address")
            address = recipient(addresses[0].addr_spec)
        except InvalidMessage:
            raise DeliveryError("MAIL_FROM must be one address, e.g. 'City 311 <no-reply@example.gov>'") from None
        return cls(sender=sender, envelope_from=address, domain=address.rpartition("@")[2])

    @functools.cached_property
    def _from_header(self) -> str:
        # Parsed and folded once per format instead of once per message.
        folded = POLICY.fold("From", POLICY.header_factory("From", self.sender))
        return folded.partition(": ")[2].removesuffix(POLICY.linesep)

    def build(self, message: Email, *, now: datetime | None = None) -> EmailMessage:
        """Return ``message`` as an EmailMessage (text, or text + HTML alternative), raising `InvalidMessage`."""
        return self._build(message, now)[0]

    def render(self, message: Email, *, now: datetime | None = None) -> Rendered:
        """Build ``message`` and flatten it to CRLF bytes ready for SMTP or an .eml file."""
        msg, to, message_id = self._build(message, now)
        return Rendered(data=msg.as_bytes(policy=POLICY), envelope_from=self.envelope_from, envelope_to=to,
                        message_id=message_id)

    def _build(self, message: Email, now: datetime | None) -> tuple[EmailMessage, str, str]:
        to = recipient(message.to)
        check_header("Subject", message.subject)
        if not _LANGUAGE.fullmatch(message.language):
            raise InvalidMessage("invalid Content-Language tag")
        msg = EmailMessage(policy=POLICY)
        # Values known to be short single-line ASCII go in raw: parsing them into header objects costs
        # more than the rest of the message together.
        msg.set_raw("From", self._from_header)
        msg.set_raw("To", to)
        if message.subject.isascii() and len(message.subject) <= _FOLD_AT and "=?" not in message.subject:
            msg.set_raw("Subject", message.subject)
        elif not message.subject.isascii() or "=?" in message.subject:  # "=?" would read as an encoded word
            msg.set_raw("Subject", encoded_words(message.subject))
        else:
            msg["Subject"] = message.subject  # a long ASCII subject: folded at spaces by the email package
        msg.set_raw("Date", format_datetime(now or datetime.now(UTC)))
        message_id = make_msgid(idstring=_REFERENCE.sub("", message.reference)[:64] or None, domain=self.domain)
        msg.set_raw("Message-ID", message_id)
        # Marks the message as automatic so autoresponders and vacation replies stay quiet (RFC 3834, Exchange).
        msg.set_raw("Auto-Submitted", "auto-generated")
        msg.set_raw("X-Auto-Response-Suppress", "All")
        for name, value in message.headers.items():
            check_header(name, value)
            if name.lower() in _RESERVED:
                raise InvalidMessage(f"header {name} is set by the message builder")
            if value.isascii() and len(name) + 2 + len(value) <= _MAX_LINE:
                # Verbatim: folding would turn a long unsubscribe URL into encoded words (see POLICY).
                msg.set_raw(name, value)
            else:
                msg[name] = value
        msg.set_raw("MIME-Version", "1.0")
        if message.html is None:
            _set_text(msg, message.text, "plain")
        else:
            # A boundary of our own: "=_" never occurs in quoted-printable or base64, and 128 random bits will
            # not occur in a 7bit text.
            msg.set_raw("Content-Type", f'multipart/alternative;{POLICY.linesep} boundary="=_{secrets.token_hex(16)}"')
            for body, subtype in ((message.text, "plain"), (message.html, "html")):
                part = EmailMessage(policy=POLICY)
                _set_text(part, body, subtype)
                msg.attach(part)
        msg.set_raw("Content-Language", message.language)
        return msg, to, message_id

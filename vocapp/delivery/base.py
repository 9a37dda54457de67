"""The messages, outcomes and backend protocols shared by every transport, and the factories that build them from config."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Protocol, Self, runtime_checkable

__all__ = [
    "DeliveryError",
    "Email",
    "EmailBackend",
    "InvalidMessage",
    "Outcome",
    "Sms",
    "ServerUnavailable",
    "SmsBackend",
    "Transport",
    "email_backend",
    "logged",
    "sms_backend",
]


class DeliveryError(Exception):
    """A configuration problem (unknown backend, missing credentials, refused login): raised, never returned."""


class ServerUnavailable(DeliveryError):
    """The server cannot be reached or will not serve us right now (refused, timed out, 421): retry the batch later.

    ``open()`` raises it so a dispatcher can stop a pass without spending an
    attempt on every message; ``send()`` reports the same as a transient `Outcome`.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidMessage(ValueError):
    """A message that can never be sent as given (a line break in a header, a malformed address).

    Backends turn it into a permanent `Outcome`; it is not a `DeliveryError`
    because one bad message must not stop a batch.
    """


@dataclass(frozen=True)
class Email:
    """One email to one recipient: plain text, optional HTML alternative, extra headers such as List-Unsubscribe."""

    to: str
    subject: str
    text: str
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    reference: str = ""  # names the message in logs and outbox files, e.g. "inv-123-r0"; never personal data
    language: str = "en"  # BCP 47 tag for Content-Language


@dataclass(frozen=True)
class Sms:
    """One text message to one E.164 number."""

    to: str
    body: str
    reference: str = ""


@dataclass(frozen=True)
class Outcome:
    """What became of one send: ``ok``, or a failure that is ``permanent`` (do not retry) or transient.

    ``detail`` is short and never holds the recipient's address or the message
    body; ``provider_id`` is the Message-ID, the provider's message id or the
    outbox file name.
    """

    ok: bool
    permanent: bool = False
    detail: str = ""
    provider_id: str | None = None

    @classmethod
    def success(cls, detail: str = "sent", provider_id: str | None = None) -> Outcome:
        """The message was handed over."""
        return cls(ok=True, permanent=False, detail=detail, provider_id=provider_id)

    @classmethod
    def transient_failure(cls, detail: str) -> Outcome:
        """Not sent; trying again later may work."""
        return cls(ok=False, permanent=False, detail=detail)

    @classmethod
    def permanent_failure(cls, detail: str) -> Outcome:
        """Not sent and never will be: do not retry."""
        return cls(ok=False, permanent=True, detail=detail)


def logged(log: logging.Logger, reference: str, outcome: Outcome) -> Outcome:
    """Log an outcome by the message's reference (the address and the text never reach the log); return it."""
    if outcome.ok:
        log.debug("%s: %s", reference, outcome.detail)
    else:
        log.info("%s not sent (%s): %s", reference, "permanent" if outcome.permanent else "transient",
                 outcome.detail)
    return outcome


class Transport:
    """Context-manager plumbing shared by the backends: ``with backend:`` opens once and closes at the end."""

    def open(self) -> None:
        """Acquire what sending needs (a connection, a folder); sending opens lazily too."""

    def close(self) -> None:
        """Release it; the backend may be opened again."""

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@runtime_checkable
class EmailBackend(Protocol):
    """Sends emails over one reused connection; one instance per thread."""

    def open(self) -> None: ...

    def send(self, message: Email) -> Outcome: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


@runtime_checkable
class SmsBackend(Protocol):
    """Sends text messages over one reused connection; one instance per thread."""

    def open(self) -> None: ...

    def send(self, message: Sms) -> Outcome: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


def _outbox(config: Mapping, fallback: Path | str | None) -> Path:
    folder = config.get("OUTBOX_DIR") or fallback
    if not folder:
        raise DeliveryError("OUTBOX_DIR is not set and no outbox folder was given")
    return Path(folder)


def _required(config: Mapping, key: str) -> str:
    value = config.get(key)
    if value is None or not str(value).strip():
        raise DeliveryError(f"{key} is not set")
    return str(value)


def email_backend(config: Mapping, outbox: Path | str | None = None) -> EmailBackend:
    """Build the email backend that ``config["MAIL_BACKEND"]`` names (``file`` or ``smtp``).

    ``outbox`` is the folder used when ``OUTBOX_DIR`` is unset (the app passes
    instance/outbox). Raises `DeliveryError` for an unusable configuration.
    """
    # The concrete modules import this one, so they are imported here rather than at the top.
    from vocapp.delivery.mail import MailFormat
    from vocapp.delivery.outbox import FileEmailBackend
    from vocapp.delivery.smtp import SmtpBackend

    name = str(config.get("MAIL_BACKEND") or "file").strip().lower()
    mail_format = MailFormat.from_sender(_required(config, "MAIL_FROM"))
    if name == "file":
        return FileEmailBackend(_outbox(config, outbox), mail_format)
    if name == "smtp":
        return SmtpBackend.from_config(config, mail_format)
    raise DeliveryError(f"MAIL_BACKEND must be 'file' or 'smtp', not {name!r}")


def sms_backend(config: Mapping, outbox: Path | str | None = None) -> SmsBackend:
    """Build the SMS backend that ``config["SMS_BACKEND"]`` names (``file`` or ``twilio``).

    ``outbox`` is the folder used when ``OUTBOX_DIR`` is unset. Raises
    `DeliveryError` for an unusable configuration.
    """
    from vocapp.delivery.outbox import FileSmsBackend
    from vocapp.delivery.twilio import TwilioBackend

    name = str(config.get("SMS_BACKEND") or "file").strip().lower()
    sender = _required(config, "SMS_FROM")
    if name == "file":
        return FileSmsBackend(_outbox(config, outbox), sender)
    if name == "twilio":
        return TwilioBackend(
            base_url=_required(config, "TWILIO_BASE_URL"),
            account_sid=_required(config, "TWILIO_ACCOUNT_SID"),
            auth_token=_required(config, "TWILIO_AUTH_TOKEN"),
            sender=sender,
        )
    raise DeliveryError(f"SMS_BACKEND must be 'file' or 'twilio', not {name!r}")

"""The SMTP email backend: one authenticated (STARTTLS, SSL or plain) connection reused for every message."""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping

from vocapp.delivery.base import DeliveryError, Email, InvalidMessage, Outcome, ServerUnavailable, Transport, logged
from vocapp.delivery.mail import MailFormat, Rendered

__all__ = ["SECURITY_MODES", "SmtpBackend", "reply_outcome"]

log = logging.getLogger(__name__)

SECURITY_MODES = ("starttls", "ssl", "none")

#: Fixed phrases for the reply codes: the server's own text is never repeated, as it often quotes the recipient.
_PHRASES = {
    421: "service not available",
    450: "mailbox unavailable",
    451: "local error in processing",
    452: "insufficient system storage",
    454: "temporary authentication failure",
    455: "cannot accommodate parameters",
    500: "command not recognised",
    501: "syntax error in parameters",
    503: "bad sequence of commands",
    521: "host does not accept mail",
    530: "authentication required",
    534: "authentication mechanism too weak",
    535: "authentication failed",
    550: "mailbox unavailable",
    551: "user not local",
    552: "message too large or storage exceeded",
    553: "mailbox name not allowed",
    554: "transaction failed",
    555: "parameters not recognised",
    556: "domain does not accept mail",
}
_ENHANCED = re.compile(rb"\s*([245]\.\d{1,3}\.\d{1,3})\b")  # RFC 3463 status, e.g. 5.1.1


def reply_outcome(code: int, reply: bytes | str = b"") -> Outcome:
    """Classify an SMTP failure reply: 4xx transient, 5xx permanent, with a detail free of the server's text.

    Examples
    --------
    >>> reply_outcome(550, b"5.1.1 <ana@example.org>: Recipient address rejected")
    Outcome(ok=False, permanent=True, detail='SMTP 550 5.1.1 mailbox unavailable', provider_id=None)
    >>> reply_outcome(451, b"Try again later").permanent
    False
    """
    raw = reply.encode("utf-8", "replace") if isinstance(reply, str) else reply
    match = _ENHANCED.match(raw)
    status = f" {match.group(1).decode()}" if match else ""
    phrase = _PHRASES.get(code) or ("rejected" if 500 <= code < 600 else "temporarily rejected")
    detail = f"SMTP {code}{status} {phrase}"
    if 500 <= code < 600:
        return Outcome.permanent_failure(detail)
    return Outcome.transient_failure(detail)  # 4xx, and anything unexpected, may work later


def _describe(exc: BaseException) -> str:
    """A short, address-free description of a network failure."""
    if _timed_out(exc):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, socket.gaierror):
        return "host name lookup failed"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "connection closed by the server"
    return type(exc).__name__


def _timed_out(exc: BaseException) -> bool:
    """Whether a disconnect was really a timeout: smtplib reports both as SMTPServerDisconnected."""
    return isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)


@functools.cache
def _ehlo_name() -> str:
    """The name this host gives in EHLO, looked up once per process rather than once per connection."""
    fqdn = socket.getfqdn()
    if "." in fqdn:
        return fqdn
    try:  # RFC 5321 asks for an address literal when there is no fully qualified name
        return f"[{socket.gethostbyname(socket.gethostname())}]"
    except OSError:
        return "[127.0.0.1]"


class SmtpBackend(Transport):
    """Sends emails over one SMTP connection, kept open between messages and reopened once if the server drops it.

    Not thread-safe: use one backend per thread (a parallel sender opens one
    connection per thread).
    """

    def __init__(self, host: str, port: int = 587, *, mail_format: MailFormat | str, security: str = "starttls",
                 username: str | None = None, password: str | None = None, timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None, local_hostname: str | None = None) -> None:
        if security not in SECURITY_MODES:
            raise DeliveryError(f"SMTP_SECURITY must be one of {', '.join(SECURITY_MODES)}, not {security!r}")
        if username and password is None:
            raise DeliveryError("SMTP_USERNAME is set but SMTP_PASSWORD is not")
        self.host, self.port, self.security, self.timeout = host, int(port), security, float(timeout)
        self.username, self._password = username or None, password
        self.format = mail_format if isinstance(mail_format, MailFormat) else MailFormat.from_sender(mail_format)
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname
        self.connections = 0  # how many connections this backend opened (reuse shows as 1 for many messages)
        self._smtp: smtplib.SMTP | None = None
        if security == "none" and self.username and not _is_loopback(host):
            log.warning("SMTP_SECURITY is 'none': the SMTP password goes to %s unencrypted", host)

    @classmethod
    def from_config(cls, config: Mapping, mail_format: MailFormat) -> SmtpBackend:
        """Build from app.config (SMTP_HOST, SMTP_PORT, SMTP_SECURITY, SMTP_USERNAME, SMTP_PASSWORD, SMTP_TIMEOUT)."""
        host = str(config.get("SMTP_HOST") or "").strip()
        if not host:
            raise DeliveryError("SMTP_HOST is not set")
        security = str(config.get("SMTP_SECURITY") or "starttls").strip().lower()
        try:
            port = int(config.get("SMTP_PORT") or (465 if security == "ssl" else 587))
            timeout = float(config.get("SMTP_TIMEOUT") or 30)
        except (TypeError, ValueError):
            raise DeliveryError("SMTP_PORT and SMTP_TIMEOUT must be numbers") from None
        return cls(host, port, mail_format=mail_format, security=security,
                   username=config.get("SMTP_USERNAME") or None, password=config.get("SMTP_PASSWORD"),
                   timeout=timeout)

    # --- connection ---------------------------------------------------------------------------------

    def open(self) -> None:
        """Connect, secure and log in now; raises `ServerUnavailable` or, for a configuration problem, `DeliveryError`."""
        if self._smtp is None or self._smtp.sock is None:
            self._smtp = self._connect()

    def close(self) -> None:
        """Say QUIT and close; errors on the way out are of no consequence."""
        smtp, self._smtp = self._smtp, None
        if smtp is None or smtp.sock is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _context(self) -> ssl.SSLContext:
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        return self.ssl_context

    def _connect(self) -> smtplib.SMTP:
        name = self.local_hostname or _ehlo_name()
        smtp: smtplib.SMTP | None = None
        try:
            if self.security == "ssl":
                smtp = smtplib.SMTP_SSL(self.host, self.port, local_hostname=name, timeout=self.timeout,
                                        context=self._context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, local_hostname=name, timeout=self.timeout)
            smtp.ehlo_or_helo_if_needed()
            if self.security == "starttls":
                # starttls() raises SMTPNotSupportedError when the server does not offer it: never fall back to plain.
                smtp.starttls(context=self._context())
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self._password or "")
        except smtplib.SMTPNotSupportedError as exc:
            what = "STARTTLS" if self.security == "starttls" and not _secured(smtp) else "AUTH"
            _discard(smtp)
            raise DeliveryError(f"the SMTP server {self.host}:{self.port} does not offer {what}") from exc
        except smtplib.SMTPAuthenticationError as exc:
            _discard(smtp)
            if 400 <= exc.smtp_code < 500:
                raise ServerUnavailable(f"SMTP {exc.smtp_code} temporary authentication failure") from exc
            raise DeliveryError(f"the SMTP server refused the login for SMTP_USERNAME ({exc.smtp_code})") from exc
        except ssl.SSLError as exc:  # a certificate that does not verify, or TLS spoken to a plain port
            _discard(smtp)
            raise DeliveryError(f"TLS with {self.host}:{self.port} failed: {exc.reason or exc}") from exc
        except smtplib.SMTPResponseException as exc:  # a 4xx/5xx greeting or EHLO reply
            _discard(smtp)
            raise ServerUnavailable(reply_outcome(exc.smtp_code, exc.smtp_error).detail) from exc
        except smtplib.SMTPServerDisconnected as exc:
            _discard(smtp)
            raise ServerUnavailable(f"SMTP {_describe(exc)}") from exc
        except smtplib.SMTPException as exc:  # "No suitable authentication method found"
            _discard(smtp)
            raise DeliveryError(f"SMTP set-up with {self.host}:{self.port} failed: {exc}") from exc
        except OSError as exc:  # refused, unreachable, timed out, name lookup failed
            _discard(smtp)
            raise ServerUnavailable(f"SMTP {_describe(exc)}") from exc
        self.connections += 1
        log.debug("connected to %s:%s (%s)", self.host, self.port, self.security)
        return smtp

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        _discard(smtp)

    # --- sending ------------------------------------------------------------------------------------

    def send(self, message: Email) -> Outcome:
        """Send one message on the open connection (opening it if needed) and classify what happened.

        Raises `DeliveryError` only for configuration problems: a refused
        login, missing STARTTLS, a sender address the server will not accept.
        """
        try:
            rendered = self.format.render(message)
        except InvalidMessage as exc:
            return logged(log, message.reference, Outcome.permanent_failure(str(exc)))
        outcome = self._send(rendered, retry=True)
        return logged(log, message.reference, outcome)

    def _send(self, rendered: Rendered, *, retry: bool) -> Outcome:
        try:
            self.open()
        except ServerUnavailable as exc:
            return Outcome.transient_failure(exc.detail)
        assert self._smtp is not None
        try:
            self._smtp.sendmail(rendered.envelope_from, [rendered.envelope_to], rendered.data)
        except smtplib.SMTPServerDisconnected as exc:
            # Typically an idle connection the server closed meanwhile: one fresh connection, one more try.
            self._drop()
            if retry and not _timed_out(exc):
                log.info("SMTP connection lost, reconnecting")
                return self._send(rendered, retry=False)
            return Outcome.transient_failure(f"SMTP {_describe(exc)}")
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            if code == 421:  # closing the connection (smtplib closed ours): as for a drop, one more try
                self._drop()
                return self._send(rendered, retry=False) if retry else reply_outcome(code, reply)
            if code == 530:
                raise DeliveryError("the SMTP server requires authentication (530): "
                                    "set SMTP_USERNAME and SMTP_PASSWORD") from exc
            return reply_outcome(code, reply)  # sendmail() has already sent RSET: the connection stays usable
        except smtplib.SMTPResponseException as exc:  # refused sender, refused data, failed HELO
            if exc.smtp_code == 421:  # the server is closing the connection; smtplib already closed our end
                self._drop()
                if retry:
                    return self._send(rendered, retry=False)
                return reply_outcome(exc.smtp_code, exc.smtp_error)
            if isinstance(exc, smtplib.SMTPSenderRefused) and exc.smtp_code == 530:
                raise DeliveryError("the SMTP server requires authentication (530): "
                                    "set SMTP_USERNAME and SMTP_PASSWORD") from exc
            if isinstance(exc, smtplib.SMTPSenderRefused) and exc.smtp_code >= 500 and exc.smtp_code != 552:
                # Every message would fail the same way (relay denied, MAIL_FROM not allowed): not the message's fault.
                raise DeliveryError(f"the SMTP server refuses MAIL_FROM: "
                                    f"{reply_outcome(exc.smtp_code, exc.smtp_error).detail}") from exc
            return reply_outcome(exc.smtp_code, exc.smtp_error)
        except OSError as exc:  # smtplib's exceptions are OSErrors too; these are the rest (TLS errors, resets)
            self._drop()  # the session is in an unknown state: start the next message on a new connection
            return Outcome.transient_failure(f"SMTP {_describe(exc)}")
        return Outcome.success("SMTP 250 accepted", provider_id=rendered.message_id)


def _secured(smtp: smtplib.SMTP | None) -> bool:
    return smtp is not None and isinstance(smtp.sock, ssl.SSLSocket)


def _discard(smtp: smtplib.SMTP | None) -> None:
    """Close without QUIT: after a failure the server may not answer."""
    if smtp is not None:
        with contextlib.suppress(OSError):
            smtp.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""A real SMTP server on loopback (aiosmtpd) that records what it receives and misbehaves on request."""

from __future__ import annotations

import asyncio
import threading
import warnings
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

__all__ = ["Received", "RecordingHandler", "SmtpServer"]


@dataclass
class Received:
    """One message as the server accepted it."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    session: int  # which connection carried it

    def parsed(self) -> EmailMessage:
        """The message parsed back with the modern email API."""
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class RecordingHandler:
    """aiosmtpd hooks: record messages, refuse chosen recipients, fail every Nth DATA, stall DATA."""

    messages: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # recipient -> reply, e.g. "550 5.1.1 mailbox unavailable"
    refuse_sender: str | None = None  # reply to every MAIL FROM, e.g. "553 5.7.1 sender not allowed"
    fail_every: int = 0  # every Nth DATA gets fail_reply
    fail_reply: str = "451 4.3.0 temporary failure, try again"
    stall_data: float = 0.0  # seconds DATA waits before answering (client timeouts)
    keep: bool = True  # False: count messages without keeping them (benchmarks)
    transactions: int = 0
    accepted: int = 0
    ehlo: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.ehlo += 1
        session.host_name = hostname
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.refuse.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.transactions += 1
        if self.stall_data:
            await asyncio.sleep(self.stall_data)
        if self.fail_every and self.transactions % self.fail_every == 0:
            return self.fail_reply
        self.accepted += 1
        if self.keep:
            with self.lock:
                self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                              envelope.original_content, id(session)))
        return "250 2.0.0 queued"


class _CountingController(Controller):
    """A Controller on a free port that counts connections and can drop them all."""

    def __init__(self, handler, loop=None, **kwargs):
        super().__init__(handler, hostname="127.0.0.1", port=0, loop=loop, server_hostname="localhost", **kwargs)
        self.protocols: list[SMTP] = []
        self.connections = 0

    def factory(self):
        with warnings.catch_warnings():
            # "Requiring AUTH while not requiring TLS": deliberate here, the tests speak plain text on loopback.
            warnings.simplefilter("ignore", UserWarning)
            protocol = super().factory()
        self.connections += 1
        self.protocols.append(protocol)
        return protocol

    def _trigger_server(self):
        # Port 0 lets the system choose; learn which before aiosmtpd's start-up probe connects to it.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """A started aiosmtpd server: ``host``, ``port``, ``handler`` (the records) and ``connections`` (TCP sessions).

    ``users`` turns on AUTH (PLAIN/LOGIN, allowed without TLS as tests speak
    plain text); ``tls_context`` offers STARTTLS; ``ssl_context`` speaks TLS
    from the first byte (SMTPS).
    """

    def __init__(self, *, users: dict[str, str] | None = None, tls_context=None, ssl_context=None,
                 require_starttls: bool = False, handler: RecordingHandler | None = None,
                 loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.handler = handler or RecordingHandler()
        self.users = users
        kwargs: dict = {}
        if users is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True, auth_require_tls=False)
        if tls_context is not None:
            kwargs.update(tls_context=tls_context, require_starttls=require_starttls)
        if ssl_context is not None:
            kwargs.update(ssl_context=ssl_context)
        self.controller = _CountingController(self.handler, loop=loop, **kwargs)
        self.host = "127.0.0.1"

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and self.users is not None
              and self.users.get(auth_data.login.decode()) == auth_data.password.decode())
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    @property
    def port(self) -> int:
        return self.controller.port

    @property
    def connections(self) -> int:
        return self.controller.connections

    def start(self) -> SmtpServer:
        self.controller.start()
        self.controller.connections = 0  # aiosmtpd's own start-up probe is not a client
        self.handler.ehlo = 0
        return self

    def stop(self) -> None:
        self.controller.stop()

    def drop_connections(self) -> None:
        """Close every open session from the server side, as an idle timeout would."""
        done = threading.Event()

        def close_all():
            for protocol in self.controller.protocols:
                if protocol.transport is not None:
                    protocol.transport.close()
            done.set()

        self.controller.loop.call_soon_threadsafe(close_all)
        done.wait(5)

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

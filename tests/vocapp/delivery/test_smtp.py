"""The SMTP backend against a real SMTP server on loopback: delivery, reuse, auth, TLS and failure classification."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from tests.vocapp.delivery.conftest import SENDER, UNSUBSCRIBE, invitation
from tests.vocapp.delivery.smtpserver import SmtpServer
from vocapp.delivery.base import DeliveryError, EmailBackend, ServerUnavailable, email_backend
from vocapp.delivery.smtp import SmtpBackend


def backend_for(server: SmtpServer, **kwargs) -> SmtpBackend:
    kwargs.setdefault("security", "none")
    kwargs.setdefault("timeout", 5)
    return SmtpBackend(server.host, server.port, mail_format=SENDER, **kwargs)


def test_message_arrives_intact(smtp_server, smtp):
    arabic = "كيف كانت خدمتنا؟ استطلاع لمدة دقيقة واحدة"
    outcome = smtp.send(invitation(subject=arabic, language="ar", text="شكرا لكم\n"))
    assert outcome.ok and not outcome.permanent
    assert outcome.detail == "SMTP 250 accepted"
    [received] = smtp_server.handler.messages
    assert received.mail_from == "no-reply@example.gov"
    assert received.rcpt_tos == ["ana@example.org"]
    msg = received.parsed()
    assert msg["Subject"] == arabic
    assert msg["Message-ID"] == outcome.provider_id
    assert msg["Content-Language"] == "ar"
    assert msg["List-Unsubscribe"] == UNSUBSCRIBE
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg.get_body(("plain",)).get_content().strip() == "شكرا لكم"


def test_lines_starting_with_a_dot_survive(smtp_server, smtp):
    smtp.send(invitation(text=".\n.hidden line\nend\n", html=None))
    content = smtp_server.handler.messages[0].parsed().get_content()
    assert content.replace("\r\n", "\n") == ".\n.hidden line\nend\n"


def test_one_connection_carries_many_messages(smtp_server, smtp):
    with smtp:
        outcomes = [smtp.send(invitation(to=f"r{i}@example.org", reference=f"inv-{i}-r0")) for i in range(25)]
    assert all(o.ok for o in outcomes)
    assert smtp_server.connections == 1
    assert smtp_server.handler.ehlo == 1
    assert smtp.connections == 1
    assert len({m.session for m in smtp_server.handler.messages}) == 1
    assert len({o.provider_id for o in outcomes}) == 25


def test_factory_builds_smtp_from_config(smtp_server):
    config = {"MAIL_BACKEND": "smtp", "MAIL_FROM": SENDER, "SMTP_HOST": smtp_server.host,
              "SMTP_PORT": smtp_server.port, "SMTP_SECURITY": "none", "SMTP_USERNAME": None,
              "SMTP_PASSWORD": None, "SMTP_TIMEOUT": 5}
    backend = email_backend(config)
    assert isinstance(backend, SmtpBackend) and isinstance(backend, EmailBackend)
    with backend:
        assert backend.send(invitation()).ok
    assert len(smtp_server.handler.messages) == 1


@pytest.mark.parametrize(("changes", "message"), [
    ({"MAIL_BACKEND": "carrier-pigeon"}, "MAIL_BACKEND"),
    ({"SMTP_SECURITY": "tls"}, "SMTP_SECURITY"),
    ({"SMTP_HOST": ""}, "SMTP_HOST"),
    ({"SMTP_USERNAME": "mailer", "SMTP_PASSWORD": None}, "SMTP_PASSWORD"),
    ({"SMTP_PORT": "twenty-five"}, "SMTP_PORT"),
    ({"MAIL_FROM": "nobody"}, "MAIL_FROM"),
])
def test_bad_configuration_is_raised(changes, message):
    config = {"MAIL_BACKEND": "smtp", "MAIL_FROM": SENDER, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": 25,
              "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 5} | changes
    with pytest.raises(DeliveryError, match=message):
        email_backend(config)


def test_refused_recipient_is_permanent_and_the_connection_stays_usable(smtp_server, smtp):
    smtp_server.handler.refuse["gone@example.org"] = "550 5.1.1 <gone@example.org>: mailbox unavailable"
    with smtp:
        refused = smtp.send(invitation(to="gone@example.org"))
        accepted = smtp.send(invitation(to="ana@example.org"))
    assert not refused.ok and refused.permanent
    assert refused.detail == "SMTP 550 5.1.1 mailbox unavailable"
    assert "gone@" not in refused.detail
    assert accepted.ok
    assert [m.rcpt_tos for m in smtp_server.handler.messages] == [["ana@example.org"]]
    assert smtp_server.connections == 1


@pytest.mark.parametrize(("reply", "permanent", "detail"), [
    ("553 5.1.3 bad destination mailbox address syntax", True, "SMTP 553 5.1.3 mailbox name not allowed"),
    ("554 transaction failed", True, "SMTP 554 transaction failed"),
    ("450 4.2.1 mailbox busy", False, "SMTP 450 4.2.1 mailbox unavailable"),
    ("452 4.5.3 too many recipients", False, "SMTP 452 4.5.3 insufficient system storage"),
])
def test_recipient_replies_are_classified(smtp_server, smtp, reply, permanent, detail):
    smtp_server.handler.refuse["bob@example.org"] = reply
    outcome = smtp.send(invitation(to="bob@example.org"))
    assert (outcome.ok, outcome.permanent, outcome.detail) == (False, permanent, detail)


def test_every_nth_transaction_failing_with_4xx_is_transient(smtp_server, smtp):
    smtp_server.handler.fail_every = 3
    with smtp:
        outcomes = [smtp.send(invitation(reference=f"inv-{i}")) for i in range(9)]
    assert [o.ok for o in outcomes] == [True, True, False] * 3
    assert {(o.permanent, o.detail) for o in outcomes if not o.ok} == {(False, "SMTP 451 4.3.0 local error in processing")}
    assert len(smtp_server.handler.messages) == 6
    assert smtp_server.connections == 1  # RSET, not a new connection


def test_data_rejected_with_5xx_is_permanent(smtp_server, smtp):
    smtp_server.handler.fail_every = 1
    smtp_server.handler.fail_reply = "554 5.7.1 message refused as spam"
    outcome = smtp.send(invitation())
    assert (outcome.ok, outcome.permanent, outcome.detail) == (False, True, "SMTP 554 5.7.1 transaction failed")


def test_reconnects_once_when_the_server_dropped_the_connection(smtp_server, smtp, caplog):
    with smtp:
        assert smtp.send(invitation(reference="first")).ok
        smtp_server.drop_connections()
        time.sleep(0.05)
        with caplog.at_level(logging.INFO, logger="vocapp.delivery.smtp"):
            outcome = smtp.send(invitation(reference="second"))
        assert outcome.ok
        assert smtp.send(invitation(reference="third")).ok
    assert smtp_server.connections == 2
    assert len(smtp_server.handler.messages) == 3
    assert "reconnecting" in caplog.text


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
def test_421_closing_the_connection_is_retried_on_a_new_one(smtp_server, smtp, stage):
    calls = []
    hook = f"handle_{stage}"
    original = getattr(smtp_server.handler, hook)

    async def first_call_421(*args):
        calls.append(stage)
        if len(calls) == 1:
            return "421 4.4.2 idle timeout, closing connection"
        return await original(*args)

    setattr(smtp_server.handler, hook, first_call_421)
    assert smtp.send(invitation()).ok
    assert len(calls) == 2 and smtp_server.connections == 2
    assert len(smtp_server.handler.messages) == 1


def test_a_server_that_stays_down_gives_transient_outcomes():
    server = SmtpServer().start()
    backend = backend_for(server)
    try:
        assert backend.send(invitation()).ok
    finally:
        server.stop()
    outcome = backend.send(invitation())  # the reconnect finds nobody listening
    backend.close()
    assert (outcome.ok, outcome.permanent, outcome.detail) == (False, False, "SMTP connection refused")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_open_raises_server_unavailable_when_nothing_listens():
    backend = SmtpBackend("127.0.0.1", free_port(), mail_format=SENDER, security="none", timeout=2)
    with pytest.raises(ServerUnavailable, match="connection refused"):
        backend.open()
    outcome = backend.send(invitation())
    assert (outcome.ok, outcome.permanent, outcome.detail) == (False, False, "SMTP connection refused")


def test_silent_server_times_out_as_transient():
    listener = socket.create_server(("127.0.0.1", 0))  # accepts (the backlog does) but never greets
    try:
        backend = SmtpBackend("127.0.0.1", listener.getsockname()[1], mail_format=SENDER, security="none",
                              timeout=0.3)
        started = time.monotonic()
        outcome = backend.send(invitation())
        assert time.monotonic() - started < 2
        assert (outcome.ok, outcome.permanent, outcome.detail) == (False, False, "SMTP timed out")
    finally:
        listener.close()


def test_stalled_transaction_times_out_without_a_second_attempt(smtp_server):
    smtp_server.handler.stall_data = 1.0
    backend = backend_for(smtp_server, timeout=0.3)
    outcome = backend.send(invitation())
    backend.close()
    assert (outcome.ok, outcome.permanent, outcome.detail) == (False, False, "SMTP timed out")
    assert smtp_server.connections == 1  # a timeout is not retried: it would double the wait


def test_sender_refused_with_5xx_is_a_configuration_error(smtp_server, smtp):
    smtp_server.handler.refuse_sender = "553 5.7.1 sender address not allowed"
    with pytest.raises(DeliveryError, match="MAIL_FROM"):
        smtp.send(invitation())


def test_sender_refused_with_4xx_is_transient(smtp_server, smtp):
    smtp_server.handler.refuse_sender = "451 4.7.1 greylisted, try again"
    outcome = smtp.send(invitation())
    assert (outcome.ok, outcome.permanent) == (False, False)


def test_invalid_message_is_permanent_and_never_reaches_the_server(smtp_server, smtp):
    outcome = smtp.send(invitation(subject="Hi\r\nBcc: everyone@example.org"))
    assert (outcome.ok, outcome.permanent) == (False, True)
    assert "line break" in outcome.detail
    assert smtp_server.connections == 0


def test_outcomes_and_logs_never_contain_the_address_or_body(smtp_server, smtp, caplog):
    smtp_server.handler.refuse["secret.resident@example.org"] = "550 5.1.1 <secret.resident@example.org> unknown"
    with caplog.at_level(logging.DEBUG, logger="vocapp.delivery"):
        outcome = smtp.send(invitation(to="secret.resident@example.org", text="my private words\n"))
    assert "secret.resident" not in outcome.detail
    assert "secret.resident" not in caplog.text and "private words" not in caplog.text
    assert "inv-1-r0" in caplog.text


# --- authentication ---------------------------------------------------------------------------------

@pytest.fixture()
def auth_server():
    with SmtpServer(users={"mailer": "s3cret"}) as server:
        yield server


def test_login_when_a_username_is_set(auth_server):
    backend = backend_for(auth_server, username="mailer", password="s3cret")
    with backend:
        assert all(backend.send(invitation(reference=f"inv-{i}")).ok for i in range(3))
    assert len(auth_server.handler.messages) == 3 and auth_server.connections == 1


def test_wrong_password_is_a_configuration_error(auth_server):
    backend = backend_for(auth_server, username="mailer", password="wrong")
    with pytest.raises(DeliveryError, match="refused the login"):
        backend.open()
    with pytest.raises(DeliveryError, match="refused the login"):
        backend.send(invitation())


def test_missing_credentials_where_auth_is_required_is_a_configuration_error(auth_server):
    backend = backend_for(auth_server)
    with pytest.raises(DeliveryError, match="requires authentication"):
        backend.send(invitation())
    assert auth_server.handler.messages == []


def test_username_on_a_server_without_auth_is_a_configuration_error(smtp_server):
    with pytest.raises(DeliveryError, match="does not offer AUTH"):
        backend_for(smtp_server, username="mailer", password="x").open()


# --- TLS ------------------------------------------------------------------------------------------------

def test_starttls_with_login(server_tls, client_tls):
    with SmtpServer(tls_context=server_tls, require_starttls=True, users={"mailer": "s3cret"}) as server:
        backend = backend_for(server, security="starttls", ssl_context=client_tls, username="mailer",
                              password="s3cret")
        with backend:
            assert backend.send(invitation()).ok
            assert backend.send(invitation()).ok
            assert backend._smtp.sock.version().startswith("TLS")
        assert len(server.handler.messages) == 2 and server.connections == 1


def test_starttls_refuses_an_untrusted_certificate(server_tls):
    with SmtpServer(tls_context=server_tls) as server:
        backend = backend_for(server, security="starttls")  # the system's trust store: self-signed fails
        with pytest.raises(DeliveryError, match="TLS"):
            backend.open()
        assert server.handler.messages == []


def test_starttls_never_falls_back_to_plain_text(smtp_server):
    backend = backend_for(smtp_server, security="starttls")
    with pytest.raises(DeliveryError, match="does not offer STARTTLS"):
        backend.send(invitation())
    assert smtp_server.handler.messages == []


def test_implicit_tls(server_tls, client_tls):
    with SmtpServer(ssl_context=server_tls) as server:
        backend = backend_for(server, security="ssl", ssl_context=client_tls)
        with backend:
            assert backend.send(invitation()).ok
        assert len(server.handler.messages) == 1


# --- threads ----------------------------------------------------------------------------------------

def test_one_backend_per_thread_sends_in_parallel(smtp_server):
    results: list[bool] = []

    def worker(n: int) -> None:
        with backend_for(smtp_server) as backend:
            results.extend(backend.send(invitation(reference=f"t{n}-{i}")).ok for i in range(10))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [True] * 40
    assert smtp_server.connections == 4
    assert len(smtp_server.handler.messages) == 40


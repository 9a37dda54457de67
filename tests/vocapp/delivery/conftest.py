"""Fixtures for the transports: SMTP and Twilio look-alikes on loopback, a TLS certificate, sample messages."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.vocapp.delivery.smtpserver import SmtpServer
from tests.vocapp.delivery.twilioserver import TwilioServer
from vocapp.delivery.base import Email, Sms
from vocapp.delivery.smtp import SmtpBackend

SENDER = "City 311 <no-reply@example.gov>"
UNSUBSCRIBE = ("<https://311.example.gov/s/Zk3QmB9xTq0uWc7vYp2rLd5sHa8eNf1g/unsubscribe>, "
               "<mailto:unsubscribe@example.gov?subject=Zk3QmB9xTq0uWc7vYp2rLd5sHa8eNf1g>")


def invitation(to: str = "ana@example.org", reference: str = "inv-1-r0", **changes) -> Email:
    """A survey invitation as the dispatcher would hand it over."""
    values = {
        "to": to,
        "subject": "How did we do on your 311 request?",
        "text": "Thank you for contacting City 311.\nTell us how we did: https://311.example.gov/s/Zk3Q\n",
        "html": '<html lang="en"><body><p>Thank you for contacting City 311.</p>'
                '<p><a href="https://311.example.gov/s/Zk3Q">Tell us how we did</a></p></body></html>',
        "headers": {"List-Unsubscribe": UNSUBSCRIBE, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        "reference": reference,
        "language": "en",
    }
    values.update(changes)
    return Email(**values)


def text_message(to: str = "+15550100123", reference: str = "inv-1-r0", **changes) -> Sms:
    values = {"to": to, "body": "City 311: how did we do? https://311.example.gov/s/Zk3Q Reply STOP to opt out",
              "reference": reference}
    values.update(changes)
    return Sms(**values)


@pytest.fixture()
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server without AUTH on a free loopback port."""
    with SmtpServer() as server:
        yield server


@pytest.fixture()
def smtp(smtp_server) -> Iterator[SmtpBackend]:
    """An SMTP backend (security none, short timeout) pointed at ``smtp_server``, closed after the test."""
    backend = SmtpBackend(smtp_server.host, smtp_server.port, mail_format=SENDER, security="none", timeout=5)
    yield backend
    backend.close()


@pytest.fixture()
def twilio_server() -> Iterator[TwilioServer]:
    with TwilioServer() as server:
        yield server


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (cert, key), made with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture()
def server_tls(certificate) -> ssl.SSLContext:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture()
def client_tls(certificate) -> ssl.SSLContext:
    """What ``ssl.create_default_context()`` gives, trusting the test certificate."""
    return ssl.create_default_context(cafile=str(certificate[0]))

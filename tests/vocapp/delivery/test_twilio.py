"""The Twilio backend against a local HTTP server impersonating the Messages API."""

from __future__ import annotations

import base64
import logging
import socket

import pytest

from tests.vocapp.delivery.conftest import text_message
from tests.vocapp.delivery.twilioserver import TwilioServer
from vocapp.delivery.base import DeliveryError, SmsBackend, sms_backend
from vocapp.delivery.twilio import TwilioBackend

SID, TOKEN = "AC" + "0123456789abcdef" * 2, "token-xyz"


def backend_for(server: TwilioServer, sender: str = "+15550100311", **kwargs) -> TwilioBackend:
    return TwilioBackend(server.url, SID, TOKEN, sender, trust_env=False, **kwargs)


def test_request_format(twilio_server):
    with backend_for(twilio_server) as backend:
        outcome = backend.send(text_message(body="Hola, ¿cómo lo hicimos? https://311.example.gov/s/Zk3Q"))
    assert outcome.ok and outcome.provider_id.startswith("SM")
    assert outcome.detail == "HTTP 201 queued"
    [request] = twilio_server.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.content_type == "application/x-www-form-urlencoded"
    assert request.authorization == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.form == {"To": "+15550100123", "From": "+15550100311",
                            "Body": "Hola, ¿cómo lo hicimos? https://311.example.gov/s/Zk3Q"}


def test_messaging_service_sid_is_sent_as_such(twilio_server):
    service = "MG" + "a" * 32
    backend_for(twilio_server, sender=service).send(text_message())
    assert twilio_server.requests[0].form["MessagingServiceSid"] == service
    assert "From" not in twilio_server.requests[0].form


def test_one_connection_for_many_messages(twilio_server):
    with backend_for(twilio_server) as backend:
        outcomes = [backend.send(text_message(reference=f"inv-{i}")) for i in range(10)]
    assert all(o.ok for o in outcomes) and len({o.provider_id for o in outcomes}) == 10
    assert twilio_server.connections == 1


def respond_with(status: int, payload: dict | None):
    return lambda form: (status, payload)


@pytest.mark.parametrize(("status", "payload", "permanent", "detail"), [
    (400, {"code": 21211, "message": "The 'To' number +15550100123 is not a valid phone number."}, True,
     "invalid number (21211)"),
    (400, {"code": 21614, "message": "'To' number is not a valid mobile number"}, True, "invalid number (21614)"),
    (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}, True,
     "recipient unsubscribed (21610)"),
    (400, {"code": 21617, "message": "The concatenated message body exceeds the 1600 character limit"}, True,
     "HTTP 400 rejected (21617)"),
    (422, None, True, "HTTP 422 rejected"),
    (429, {"code": 20429, "message": "Too Many Requests"}, False, "HTTP 429 rate limited (20429)"),
    (500, {"code": 20500, "message": "Internal Server Error"}, False, "HTTP 500 (20500)"),
    (503, None, False, "HTTP 503"),
])
def test_error_classification(twilio_server, status, payload, permanent, detail):
    twilio_server.respond = respond_with(status, payload)
    outcome = backend_for(twilio_server).send(text_message())
    assert (outcome.ok, outcome.permanent, outcome.detail) == (False, permanent, detail)
    assert "+1555" not in outcome.detail


@pytest.mark.parametrize(("status", "payload"), [
    (401, {"code": 20003, "message": "Authenticate"}),
    (404, {"code": 20404, "message": "The requested resource was not found"}),
    (400, {"code": 21606, "message": "The From phone number is not a valid, SMS-capable inbound phone number"}),
    (400, {"code": 21212, "message": "Invalid From Number"}),
])
def test_account_problems_are_raised(twilio_server, status, payload):
    twilio_server.respond = respond_with(status, payload)
    with pytest.raises(DeliveryError, match=f"HTTP {status}"):
        backend_for(twilio_server).send(text_message())


def test_success_without_json_is_still_sent(twilio_server):
    twilio_server.respond = respond_with(200, None)
    outcome = backend_for(twilio_server).send(text_message())
    assert outcome.ok and outcome.provider_id is None


def test_nothing_listening_is_transient():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = TwilioBackend(f"http://127.0.0.1:{port}", SID, TOKEN, "+15550100311", trust_env=False, timeout=2)
    outcome = backend.send(text_message())
    backend.close()
    assert (outcome.ok, outcome.permanent, outcome.detail) == (False, False, "SMS gateway unreachable")


def test_slow_gateway_times_out_as_transient():
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    try:
        backend = TwilioBackend(f"http://127.0.0.1:{listener.getsockname()[1]}", SID, TOKEN, "+15550100311",
                                trust_env=False, timeout=0.3)
        outcome = backend.send(text_message())
        backend.close()
    finally:
        listener.close()
    assert (outcome.ok, outcome.permanent, outcome.detail) == (False, False, "SMS gateway timed out")


def test_malformed_number_never_reaches_the_gateway(twilio_server):
    outcome = backend_for(twilio_server).send(text_message(to="(555) 010-0123"))
    assert (outcome.ok, outcome.permanent) == (False, True)
    assert twilio_server.requests == []


def test_logs_hold_the_reference_but_not_the_number_or_body(twilio_server, caplog):
    twilio_server.respond = respond_with(400, {"code": 21211, "message": "+15550100123 is not valid"})
    with caplog.at_level(logging.DEBUG, logger="vocapp.delivery"):
        backend_for(twilio_server).send(text_message(body="private words"))
    assert "inv-1-r0" in caplog.text
    assert "+15550100123" not in caplog.text and "private words" not in caplog.text


def test_factory_builds_twilio_from_config(twilio_server):
    config = {"SMS_BACKEND": "twilio", "SMS_FROM": "+15550100311", "TWILIO_BASE_URL": twilio_server.url,
              "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN}
    backend = sms_backend(config)
    assert isinstance(backend, TwilioBackend) and isinstance(backend, SmsBackend)
    with pytest.raises(DeliveryError, match="TWILIO_AUTH_TOKEN"):
        sms_backend(config | {"TWILIO_AUTH_TOKEN": None})
    with pytest.raises(DeliveryError, match="TWILIO_BASE_URL"):
        sms_backend(config | {"TWILIO_BASE_URL": "ftp://example.com"})

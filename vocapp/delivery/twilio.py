"""The SMS backend for Twilio and Twilio-compatible gateways: form POSTs to the Messages resource over one HTTP client."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from vocapp.delivery.base import DeliveryError, InvalidMessage, Outcome, Sms, Transport, logged
from vocapp.delivery.sms import check_number

__all__ = ["CONFIG_CODES", "INVALID_NUMBER_CODES", "UNSUBSCRIBED_CODE", "TwilioBackend", "response_outcome"]

log = logging.getLogger(__name__)

#: Twilio error codes that mean the number can never receive our messages (do not retry).
INVALID_NUMBER_CODES = frozenset({
    21211,  # invalid 'To' phone number
    21214,  # 'To' phone number cannot be reached
    21217,  # phone number does not appear to be valid
    21401,  # invalid phone number
    21407,  # this phone number type does not support SMS
    21408,  # permission to send to this region is not enabled
    21421,  # PhoneNumber is invalid
    21612,  # the 'To' number is not currently reachable via SMS
    21614,  # 'To' number is not a valid mobile number
})
#: The resident replied STOP: the carrier blocks our messages to them.
UNSUBSCRIBED_CODE = 21610
#: Twilio error codes that mean our account or sender is wrong: every message would fail, so they are raised.
CONFIG_CODES = frozenset({
    20003,  # authentication failed
    20404,  # resource not found (account SID)
    21212,  # invalid 'From' number
    21606,  # 'From' number is not a valid SMS-capable number for this account
    21659,  # 'From' is not a Twilio phone number or short code
    21660,  # mismatch between the 'From' number and the account
    21703,  # messaging service has no phone numbers
    21704,  # messaging service contains no phone numbers
})
_RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


def _code(payload: Any) -> int | None:
    code = payload.get("code") if isinstance(payload, dict) else None
    return code if isinstance(code, int) else None


def response_outcome(status: int, payload: Any) -> Outcome:
    """Classify a gateway response (its HTTP status and decoded JSON body); raise `DeliveryError` for account problems.

    Only the status and Twilio's numeric error code reach the detail: the
    error message often quotes the phone number.

    Examples
    --------
    >>> response_outcome(201, {"sid": "SM123", "status": "queued"})
    Outcome(ok=True, permanent=False, detail='HTTP 201 queued', provider_id='SM123')
    >>> response_outcome(400, {"code": 21211, "message": "The 'To' number +1555 is not valid."}).detail
    'invalid number (21211)'
    >>> response_outcome(503, None).permanent
    False
    """
    code = _code(payload)
    suffix = f" ({code})" if code else ""
    if 200 <= status < 300:
        sid = payload.get("sid") if isinstance(payload, dict) else None
        state = payload.get("status") if isinstance(payload, dict) else None
        return Outcome.success(f"HTTP {status} {state or 'accepted'}", provider_id=str(sid) if sid else None)
    if status in (401, 403, 404) or code in CONFIG_CODES or 300 <= status < 400:
        raise DeliveryError(f"the SMS gateway refused the request (HTTP {status}{suffix}): "
                            "check TWILIO_BASE_URL, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and SMS_FROM")
    if status in _RETRYABLE_STATUS or status >= 500:
        return Outcome.transient_failure(f"HTTP {status}{' rate limited' if status == 429 else ''}{suffix}")
    if code in INVALID_NUMBER_CODES:
        return Outcome.permanent_failure(f"invalid number ({code})")
    if code == UNSUBSCRIBED_CODE:
        return Outcome.permanent_failure(f"recipient unsubscribed ({code})")
    return Outcome.permanent_failure(f"HTTP {status} rejected{suffix}")


def _network_detail(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "SMS gateway timed out"
    if isinstance(exc, httpx.ConnectError):
        return "SMS gateway unreachable"
    return f"SMS gateway {type(exc).__name__}"


class TwilioBackend(Transport):
    """POSTs each message to ``{base_url}/2010-04-01/Accounts/{sid}/Messages.json`` over one reused ``httpx.Client``.

    ``sender`` is a phone number, an alphanumeric sender id, or a messaging
    service SID (``MG...``), which is sent as MessagingServiceSid. Not
    thread-safe: one backend per thread.
    """

    def __init__(self, base_url: str, account_sid: str, auth_token: str, sender: str, *, timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None, trust_env: bool = True) -> None:
        if not account_sid or not auth_token:
            raise DeliveryError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set for SMS_BACKEND 'twilio'")
        if not base_url.startswith(("https://", "http://")):
            raise DeliveryError("TWILIO_BASE_URL must be an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.account_sid = account_sid
        self.sender = sender
        self.timeout = timeout
        self._auth = (account_sid, auth_token)
        self._transport = transport
        self._trust_env = trust_env  # proxies from the environment (HTTPS_PROXY), as city networks often need
        self._client: httpx.Client | None = None
        self.path = f"/2010-04-01/Accounts/{quote(account_sid, safe='')}/Messages.json"

    def open(self) -> None:
        """Create the HTTP client; its connection pool keeps the TLS connection between messages."""
        if self._client is None:
            self._client = httpx.Client(base_url=self.base_url, auth=self._auth, timeout=self.timeout,
                                        transport=self._transport, trust_env=self._trust_env,
                                        follow_redirects=False, headers={"Accept": "application/json"})

    def close(self) -> None:
        """Close the client and its connections."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def send(self, message: Sms) -> Outcome:
        """POST one message and classify the answer; raises `DeliveryError` when the account or sender is refused."""
        try:
            to = check_number(message.to)
        except InvalidMessage as exc:
            return logged(log, message.reference, Outcome.permanent_failure(str(exc)))
        form = {"To": to, "Body": message.body}
        if self.sender.startswith("MG") and len(self.sender) == 34:
            form["MessagingServiceSid"] = self.sender
        else:
            form["From"] = self.sender
        self.open()
        assert self._client is not None
        try:
            response = self._client.post(self.path, data=form)
        except httpx.TransportError as exc:
            return logged(log, message.reference, Outcome.transient_failure(_network_detail(exc)))
        try:
            payload = response.json()
        except ValueError:
            payload = None
        return logged(log, message.reference, response_outcome(response.status_code, payload))

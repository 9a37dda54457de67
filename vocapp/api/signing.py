"""HMAC-SHA256 request signatures of the webhook: what a sender computes and what we check.

The sender signs ``f"{timestamp}.{body}"`` with the shared secret and sends
``X-Vocapp-Timestamp: <unix seconds>`` and ``X-Vocapp-Signature: sha256=<hex>``.
Signing the timestamp with the body lets us refuse replays older than the
window without remembering every signature.
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign", "verify", "SignatureError", "REPLAY_WINDOW"]

#: Seconds a signed request stays acceptable (either side of our clock).
REPLAY_WINDOW = 300


class SignatureError(ValueError):
    """The request's signature or timestamp is missing, malformed, wrong or stale."""


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Vocapp-Signature`` value for a body sent at `timestamp`.

    >>> sign("s3cret", 1700000000, b'{"event_id": "e1"}')
    'sha256=050339316a85c0b8d8f3af9c39eb9fa9b5433faa07bf871db38a4f1431971d52'
    """
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float) -> None:
    """Raise SignatureError unless `signature` signs `body` at a `timestamp` within the replay window.

    >>> verify("k", "100", sign("k", 100, b"{}"), b"{}", now=150)
    >>> verify("k", "100", sign("k", 100, b"{}"), b"{}", now=1000)
    Traceback (most recent call last):
    ...
    vocapp.api.signing.SignatureError: stale timestamp: 900 s from our clock, more than 300 s
    """
    if not timestamp or not signature:
        raise SignatureError("missing X-Vocapp-Timestamp or X-Vocapp-Signature header")
    try:
        sent = int(timestamp)
    except ValueError:
        raise SignatureError("X-Vocapp-Timestamp must be whole Unix seconds") from None
    if not hmac.compare_digest(sign(secret, sent, body), signature.strip()):
        raise SignatureError("signature does not match the body (HMAC-SHA256 of '<timestamp>.<body>')")
    skew = abs(now - sent)
    if skew > REPLAY_WINDOW:
        raise SignatureError(f"stale timestamp: {skew:.0f} s from our clock, more than {REPLAY_WINDOW} s")

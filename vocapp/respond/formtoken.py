"""Form tokens for resident pages: bound to the page's address and time, with no cookie.

Resident pages carry no ambient authority (no login, no cookie): whoever knows
a link can answer it, so what a CSRF token must prove here is that the form was
served by us, for this very link, not long ago. An HMAC of the page's path and
the time it was served proves exactly that without a session, so residents get
no cookie at all and a submission skips decoding one. Staff pages keep
Flask-WTF's session-bound tokens.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from flask import current_app, request

__all__ = ["issue", "valid"]


def _key() -> bytes:
    # Derived, so a form token never doubles as anything else signed with SECRET_KEY.
    cache = current_app.extensions.setdefault("vocapp.form_token_key", {})
    secret = current_app.config["SECRET_KEY"]
    if secret not in cache:
        cache.clear()
        cache[secret] = hmac.new(str(secret).encode(), b"vocapp.resident-form", hashlib.sha256).digest()
    return cache[secret]


def _mac(path: str, issued: int) -> str:
    return hmac.new(_key(), f"{path}\n{issued}".encode(), hashlib.sha256).hexdigest()[:32]


def issue(now: float | None = None) -> str:
    """A token for the form on the current page (its path, so for one link only)."""
    issued = int(now if now is not None else time.time())
    return f"{issued:x}.{_mac(request.path, issued)}"


def valid(value: str | None, now: float | None = None) -> bool:
    """Whether `value` was issued for the current path within WTF_CSRF_TIME_LIMIT seconds.

    Always true when CSRF protection is switched off (WTF_CSRF_ENABLED).
    """
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    stamp, _, mac = (value or "").partition(".")
    try:
        issued = int(stamp, 16)
    except ValueError:
        return False
    age = (now if now is not None else time.time()) - issued
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT") or float("inf")
    # A minute of grace for clocks that differ between the servers behind a load balancer.
    return -60 <= age <= limit and hmac.compare_digest(mac, _mac(request.path, issued))

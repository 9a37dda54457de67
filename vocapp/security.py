"""HTTP hardening: security headers and safe redirects."""

from __future__ import annotations

from itertools import chain
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request

__all__ = ["init_app", "is_safe_redirect"]

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def is_safe_redirect(target: str | None) -> bool:
    """True for a local path such as "/departments/3" (never another host or scheme)."""
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
        and "\\" not in target


def _headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", _CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html" and "Cache-Control" not in h:
        # Staff pages carry personal data: keep them out of shared caches.
        h["Cache-Control"] = "no-store"
    return response


def _reject_nul_bytes() -> None:
    """400 for NUL characters in query or form: no text field legitimately holds one,
    and PostgreSQL refuses them deep inside a query."""
    for multidict in (request.args, request.form if request.mimetype != "multipart/form-data" else {}):
        if not multidict:
            continue
        if any("\x00" in text for text in chain(multidict.keys(), *multidict.listvalues())):
            abort(400)


def init_app(app: Flask) -> None:
    """Add security headers to every response and refuse NUL bytes in input."""
    app.before_request(_reject_nul_bytes)
    app.after_request(_headers)

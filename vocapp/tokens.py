"""One-time tokens for resident links: 192 random bits, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["new_token", "hash_token", "looks_like_token"]

#: 24 random bytes = 192 bits, 32 URL-safe characters.
TOKEN_BYTES = 24


def new_token() -> str:
    """A fresh random token for a link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in place of the token.

    A plain hash suffices: the token has 192 random bits, so it cannot be
    guessed from its digest, and look-ups stay a single indexed equality.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    """Cheap shape check before touching the database."""
    return 20 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)

"""One-time tokens for resident links: 192 random bits, stored only as a hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["new_token", "hash_token", "looks_like_token", "new_salt", "derive_token"]

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


def new_salt() -> str:
    """A fresh random salt (128 bits, hex) for a campaign invitation's token."""
    return secrets.token_hex(16)


def derive_token(salt: str, key: bytes) -> str:
    """The token of a campaign invitation: HMAC-SHA256(key, salt), 192 bits, URL-safe.

    Derived rather than stored, so the first message and every reminder carry the
    same link while the database holds only its hash; without the key the salt
    gives nothing away.

    >>> token = derive_token("00" * 16, b"key")
    >>> len(token), token == derive_token("00" * 16, b"key") != derive_token("01" * 16, b"key")
    (32, True)
    """
    digest = hmac.new(key, salt.encode(), hashlib.sha256).digest()[:TOKEN_BYTES]
    return base64.urlsafe_b64encode(digest).decode()

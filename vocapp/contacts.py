"""Residents' contact details: normalised, and hashed with a key so caps and opt-outs outlive them.

An invitation cap ("one survey per 30 days") and an opt-out must recognise the
same resident across requests and after their email or phone was purged. A
keyed hash (HMAC-SHA256) of the normalised address does that without keeping
the address; without the key it cannot be reversed by guessing addresses.
"""

from __future__ import annotations

import hashlib
import hmac

import phonenumbers
from flask import current_app

__all__ = ["normalize_email", "normalize_phone", "contact_hash", "hash_key"]


def normalize_email(raw: str | None) -> str | None:
    """The address trimmed and lower-cased, or None when it is not an address.

    >>> normalize_email("  Ana.Ruiz@Example.ORG "), normalize_email("not an email")
    ('ana.ruiz@example.org', None)
    """
    value = (raw or "").strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value or len(value) > 254:
        return None
    return value


def normalize_phone(raw: str | None, region: str = "US") -> str | None:
    """The number in E.164 form, or None when it is not a valid number.

    >>> normalize_phone("(213) 555-0142"), normalize_phone("+44 20 7946 0958"), normalize_phone("12")
    ('+12135550142', '+442079460958', None)
    """
    value = (raw or "").strip()
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def hash_key() -> bytes:
    """The app's contact-hash key: CONTACT_HASH_KEY, else one derived from SECRET_KEY."""
    configured = current_app.config.get("CONTACT_HASH_KEY")
    if configured:
        return str(configured).encode()
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), b"vocapp.contact-hash", hashlib.sha256).digest()


def contact_hash(normalized: str | None, key: bytes) -> str | None:
    """The keyed hash of a normalised email or phone (None for None).

    >>> contact_hash("ana@example.org", b"k") == contact_hash("ana@example.org", b"k") != contact_hash("ana@example.org", b"j")
    True
    """
    if not normalized:
        return None
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()

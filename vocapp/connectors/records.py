"""The one shape every connector produces: a normalised 311 request record.

Connectors (Open311, CSV formats, the webhook) turn their source's rows into
`RequestRecord`s with the helpers here (channel and status vocabularies, ZIP
checks); `vocapp.services.requests.upsert` stores them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vocapp.models.request import Channel, RequestStatus

__all__ = ["RequestRecord", "RejectedRecord", "channel_of", "status_of", "clean_zip", "ImportError_"]


class ImportError_(ValueError):  # noqa: N801 (the builtin ImportError means something else)
    """A row that cannot be imported; the message says why, in words for a person."""


@dataclass(slots=True)
class RequestRecord:
    """A service request as a connector read it, ready to upsert."""

    source: str
    source_id: str
    status: RequestStatus
    service_code: str | None = None
    service_name: str | None = None
    agency: str | None = None
    #: None when the source does not say (stored as "other").
    channel: Channel | None = None
    ward: str | None = None
    zip: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    language: str | None = None
    status_notes: str | None = None
    requested_at: datetime | None = None
    source_updated_at: datetime | None = None
    closed_at: datetime | None = None
    duplicate_of: str | None = None
    parent_id: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    contact_preference: str | None = None
    extra: dict[str, Any] | None = field(default=None)

    def check(self) -> None:
        """Raise ImportError_ when the record contradicts itself (closed before it was opened)."""
        if not self.source_id:
            raise ImportError_("no request id")
        if self.closed_at and self.requested_at and self.closed_at < self.requested_at:
            raise ImportError_(f"closed ({self.closed_at.isoformat()}) before it was requested "
                               f"({self.requested_at.isoformat()})")


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A row a connector refused: where, which request if known, and why."""

    line: int
    reason: str
    source_id: str | None = None
    raw: str | None = None


#: Source vocabularies (lower-cased) -> channel. LA RequestSource, NYC Open Data Channel Type,
#: Boston source, Open311 extended_attributes.channel.
_CHANNELS = {
    "call": Channel.PHONE, "phone": Channel.PHONE, "constituent call": Channel.PHONE, "voicemail": Channel.PHONE,
    "phone call": Channel.PHONE, "telephone": Channel.PHONE, "311 call": Channel.PHONE,
    "self service": Channel.WEB, "online": Channel.WEB, "web": Channel.WEB, "website": Channel.WEB,
    "open311": Channel.WEB, "internet": Channel.WEB, "web form": Channel.WEB,
    "mobile app": Channel.APP, "mobile": Channel.APP, "app": Channel.APP, "citizens connect app": Channel.APP,
    "iphone": Channel.APP, "android": Channel.APP, "myla311": Channel.APP,
    "walk-in": Channel.WALK_IN, "walk in": Channel.WALK_IN, "walkin": Channel.WALK_IN, "in person": Channel.WALK_IN,
    "counter": Channel.WALK_IN, "council's office": Channel.WALK_IN,
    "email": Channel.EMAIL, "e-mail": Channel.EMAIL,
    "twitter": Channel.SOCIAL, "facebook": Channel.SOCIAL, "social": Channel.SOCIAL, "social media": Channel.SOCIAL,
}


def channel_of(raw: str | None) -> Channel:
    """The channel a source's wording means; staff-originated and unknown sources are "other".

    >>> channel_of("Mobile App"), channel_of("ONLINE"), channel_of("Driver Self Report")
    (<Channel.APP: 'app'>, <Channel.WEB: 'web'>, <Channel.OTHER: 'other'>)
    """
    return _CHANNELS.get((raw or "").strip().lower(), Channel.OTHER)


_STATUSES = {
    "closed": RequestStatus.CLOSED, "close": RequestStatus.CLOSED, "resolved": RequestStatus.CLOSED,
    "completed": RequestStatus.CLOSED, "complete": RequestStatus.CLOSED,
    "cancelled": RequestStatus.CANCELLED, "canceled": RequestStatus.CANCELLED,
    "referred out": RequestStatus.REFERRED, "referred": RequestStatus.REFERRED,
}


def status_of(raw: str | None) -> RequestStatus:
    """The normalised status: closed, cancelled, referred, else open (in progress, assigned...).

    >>> status_of("Closed"), status_of("Referred Out"), status_of("In Progress")
    (<RequestStatus.CLOSED: 'closed'>, <RequestStatus.REFERRED: 'referred'>, <RequestStatus.OPEN: 'open'>)
    """
    return _STATUSES.get((raw or "").strip().lower(), RequestStatus.OPEN)


_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")
#: Placeholder ZIPs real exports contain (NYC's test sample plants these).
_IMPOSSIBLE_ZIPS = frozenset({"00000", "11111", "22222", "33333", "44444", "55555", "66666", "77777", "88888",
                              "99999", "12345"})


def clean_zip(raw: str | None) -> str | None:
    """A five-digit US ZIP, None when empty; ImportError_ when impossible.

    >>> clean_zip("90012-1234"), clean_zip(""), clean_zip("10001.0")
    ('90012', None, '10001')
    >>> clean_zip("99999")
    Traceback (most recent call last):
    ...
    vocapp.connectors.records.ImportError_: impossible ZIP code '99999'
    """
    value = (raw or "").strip()
    if not value:
        return None
    if value.endswith(".0"):  # spreadsheets turn ZIPs into floats
        value = value[:-2]
    match = _ZIP.match(value)
    if match is None or match.group(1) in _IMPOSSIBLE_ZIPS:
        raise ImportError_(f"impossible ZIP code {value!r}")
    return match.group(1)

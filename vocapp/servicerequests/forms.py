"""The request list's filters (a GET query string), parsed with a message per unusable value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date

from vocapp.models import Channel, RequestStatus

__all__ = ["RequestFilters", "parse_filters", "UNMAPPED"]

#: The department filter's value for requests whose agency matched no department (admins only).
UNMAPPED = "unmapped"


@dataclass(frozen=True)
class RequestFilters:
    """What the list is narrowed to; None (or "") means no filter."""

    status: str = ""
    channel: str = ""
    service_code: str = ""
    ward: str = ""
    department: str = ""
    closed_from: date | None = None
    closed_to: date | None = None

    def as_args(self) -> dict[str, str]:
        """The non-empty filters as query arguments (for the pager and links)."""
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items() if v}


def _date(raw: str, name: str, errors: dict[str, str]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = "Enter the date as YYYY-MM-DD, for example 2024-03-01."
        return None


def parse_filters(args: Mapping[str, str], departments: set[str]) -> tuple[RequestFilters, dict[str, str]]:
    """Filters from query arguments, and {field: message} for every value that cannot be used.

    `departments` are the department values the user may choose (ids as text, and UNMAPPED for admins).
    """
    errors: dict[str, str] = {}
    status = args.get("status", "").strip()
    if status and status not in {s.value for s in RequestStatus}:
        errors["status"] = "Choose a status from the list."
    channel = args.get("channel", "").strip()
    if channel and channel not in {c.value for c in Channel}:
        errors["channel"] = "Choose a channel from the list."
    department = args.get("department", "").strip()
    if department and department not in departments:
        errors["department"] = "Choose one of your departments."
    closed_from = _date(args.get("closed_from", ""), "closed_from", errors)
    closed_to = _date(args.get("closed_to", ""), "closed_to", errors)
    if closed_from and closed_to and closed_to < closed_from:
        errors["closed_to"] = "The end date is before the start date."
    filters = RequestFilters(status=status, channel=channel, service_code=args.get("service_code", "").strip()[:120],
                             ward=args.get("ward", "").strip()[:60], department=department,
                             closed_from=closed_from, closed_to=closed_to)
    return filters, errors

"""The results filter (a GET query string): parsed into service Filters plus a message per bad field."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from zoneinfo import ZoneInfo

from vocapp.services.results import Filters
from vocapp.services.sentiment import DIMENSIONS, FLAG_NAMES, LABELS, Query, Slice

__all__ = ["parse_filters", "parse_sentiment", "comment_pages", "EARLIEST", "LATEST"]

EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)
_TRUE = {"1", "on", "true", "yes"}
_FALSE = {"", "0", "off", "false", "no"}
_LABELS = {"start": "start", "end": "end"}
#: page_<question key>: which page of a free-text question's answers to show.
_PAGE_ARG = re.compile(r"page_[a-z][a-z0-9_]{0,39}")


def _date(raw: str, name: str, errors: dict[str, str]) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"Enter the {_LABELS[name]} date as YYYY-MM-DD, for example 2024-03-01."
        return None
    if not EARLIEST <= value <= LATEST:
        errors[name] = f"The {_LABELS[name]} date must be between {EARLIEST} and {LATEST}."
        return None
    return value


def _version(raw: str, published: Collection[int], errors: dict[str, str]) -> int | None:
    raw = raw.strip()
    if raw in ("", "all"):
        return None
    choices = ", ".join(map(str, sorted(published))) or "none yet"
    if not (raw.isascii() and raw.isdigit()):
        errors["version"] = f"Choose a version number ({choices}) or all versions."
        return None
    number = int(raw)
    if number not in published:
        errors["version"] = f"This survey has no published version {number}; published versions: {choices}."
        return None
    return number


def parse_filters(args: Mapping[str, str], published: Collection[int], tz: ZoneInfo) -> tuple[Filters, dict[str, str]]:
    """Filters from query arguments, and {field: message} for every value that cannot be used."""
    errors: dict[str, str] = {}
    version = _version(args.get("version", ""), published, errors)
    start = _date(args.get("start", ""), "start", errors)
    end = _date(args.get("end", ""), "end", errors)
    if start and end and end < start:
        errors["end"] = "The end date is before the start date."
    tests = args.get("tests", "").strip().lower()
    if tests not in _TRUE | _FALSE:
        errors["tests"] = "Include test responses must be 1 (yes) or 0 (no)."
    return Filters(version=version, start=start, end=end, include_tests=tests in _TRUE, tz=tz), errors


def comment_pages(args: Mapping[str, str]) -> dict[str, int]:
    """{question key: page} from page_<key> arguments; unusable numbers mean page 1."""
    pages = {}
    for name, raw in args.items():
        if _PAGE_ARG.fullmatch(name):
            pages[name[len("page_"):]] = _page_number(raw)
    return pages


def _page_number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 10**6 else 1


def parse_sentiment(args: Mapping[str, str]) -> tuple[Query, dict[str, str]]:
    """The sentiment section's query (slice, label, flag, page) and {field: message} for unusable values."""
    errors: dict[str, str] = {}
    raw_slice = args.get("slice", "").strip()
    chosen = Slice.parse(raw_slice) if raw_slice else None
    if raw_slice and chosen is None:
        errors["slice"] = (f"Choose the comments of one {', '.join(DIMENSIONS)} (as dimension:value, "
                           "for example channel:sms), or the whole survey.")
    label = args.get("sentiment", "").strip().lower() or None
    if label is not None and label not in (*LABELS, "pending"):
        errors["sentiment"] = "Show comments that are positive, neutral, negative or pending analysis, or all."
        label = None
    flag = args.get("flag", "").strip().lower() or None
    if flag is not None and flag not in FLAG_NAMES:
        errors["flag"] = f"Choose one of the flags ({', '.join(FLAG_NAMES)}) or any."
        flag = None
    return Query(slice=chosen, label=label, flag=flag, page=_page_number(args.get("spage", ""))), errors

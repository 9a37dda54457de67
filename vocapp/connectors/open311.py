"""Open311 GeoReport v2 client: poll an endpoint's closed requests into service requests.

A poll walks from the endpoint's stored cursor (`PollCursor`) to now in
windows of at most 90 days (the specification's limit), asking for
``status=closed`` requests in each. A window that comes back as full as the
endpoint's page cap may have been cut short, so it is halved and asked again,
down to one minute; past that the ``page``/``page_size`` extension is used where
the endpoint has it. Each window is fetched completely, then stored, its
quarantined records recorded and the cursor moved to its end in one commit:
a failure leaves earlier windows in place and the cursor where it was.

Endpoints with the ``updated_after`` extension (Chicago) are windowed on
``updated_datetime``, which for a closed request is its closing time. The base
specification filters ``start_date``/``end_date`` on ``requested_datetime``
instead, so for those endpoints every poll also re-reads `lookback_days` before
the cursor: a request opened last week and closed today is then still seen.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import httpx
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from vocapp.connectors.open311_parse import (
    PayloadError,
    RecordValidator,
    error_description,
    format_param,
    html_title,
    looks_like_html,
    normalise,
    parse_datetime,
    parse_payload,
    service_names,
    to_record,
)
from vocapp.connectors.records import ImportError_, RejectedRecord, RequestRecord
from vocapp.db import db, utcnow
from vocapp.errors import ConfigError, VocappError
from vocapp.models import ImportRun, PollCursor, RejectedRow
from vocapp.services.requests import Contacts, DepartmentMap, upsert

__all__ = [
    "open311_group", "Open311Error", "Endpoint", "Retry", "Client", "Window", "PollResult", "poll",
    "poll_configured", "configured_endpoint",
]

log = logging.getLogger(__name__)

#: The GeoReport v2 limit on one start_date..end_date span.
MAX_WINDOW_DAYS = 90
#: Windows are not split below this; a window still capped then is paged (or reported incomplete).
MIN_WINDOW = timedelta(minutes=1)
#: Records per response assumed when an endpoint's cap is not configured (the most common one observed).
DEFAULT_PAGE_CAP = 50
#: Days re-read before the cursor on endpoints without updated_after (their windows filter on opening time).
DEFAULT_LOOKBACK_DAYS = 7
#: A guard against servers that ignore `page` and send page 1 for ever.
MAX_PAGES = 1000
#: Fields of a record never kept in a quarantined copy (GeoReport POST fields that may come back).
_CONTACT_KEYS = frozenset({"email", "phone", "first_name", "last_name", "name", "device_id", "account_id"})


class _RedactKeys(logging.Filter):
    """Mask api_key values in httpx's request log lines (it logs every URL, query included, at INFO)."""

    _KEY = re.compile(r"(api_key=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and "api_key=" in str(record.args):
            record.msg = self._KEY.sub(r"\1***", record.getMessage())
            record.args = ()
        return True


if not any(isinstance(f, _RedactKeys) for f in logging.getLogger("httpx").filters):
    logging.getLogger("httpx").addFilter(_RedactKeys())


class Open311Error(VocappError):
    """An endpoint could not be polled; the message names the URL and what was wrong."""

    def __init__(self, message: str, url: str | None = None, status: int | None = None):
        super().__init__(message)
        self.url = url
        self.status = status


# --- configuration ------------------------------------------------------------------------------

@dataclass
class Endpoint:
    """One GeoReport v2 endpoint and its quirks, as an OPEN311_ENDPOINTS entry describes it."""

    url: str
    name: str | None = None
    jurisdiction_id: str | None = None
    api_key: str | None = None
    source: str | None = None
    format: str = "json"
    #: Most records the endpoint returns for one query (its `requests_limit`).
    page_cap: int = DEFAULT_PAGE_CAP
    #: page_size to ask for when the endpoint has the paging extension (default: page_cap).
    page_size: int | None = None
    supports_paging: bool = False
    supports_updated_after: bool = False
    #: True: send local times without "Z" (Chicago); "offset": local times with their UTC offset.
    strip_z: bool | str = False
    extensions: bool = True
    window_days: float = MAX_WINDOW_DAYS
    #: Days re-read before the cursor; default 0 with updated_after, else DEFAULT_LOOKBACK_DAYS.
    lookback_days: float | None = None
    #: Zone of the endpoint's naive timestamps (default: the TIMEZONE setting).
    timezone: str | None = None
    timeout: float | None = None
    #: Folder with the GeoReport v2 JSON schemas (request.json, service.json) to check records against.
    schema_dir: str | None = None
    #: agency_responsible -> department code, for agencies whose names are not department codes.
    departments: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, entry: dict[str, Any]) -> Endpoint:
        """An Endpoint from an OPEN311_ENDPOINTS entry; ConfigError on unknown keys or bad values."""
        if not isinstance(entry, dict) or not entry.get("url"):
            raise ConfigError(f"OPEN311_ENDPOINTS entries need at least a url, got {entry!r:.80}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(entry) - known)
        if unknown:
            raise ConfigError(f"OPEN311_ENDPOINTS entry {entry.get('name') or entry['url']}: unknown key(s) "
                              f"{', '.join(unknown)} (known: {', '.join(sorted(known))})")
        endpoint = cls(**{k: v for k, v in entry.items() if v is not None})
        endpoint.check()
        return endpoint

    def check(self) -> None:
        """Raise ConfigError when a setting cannot work."""
        where = f"Open311 endpoint {self.key}"
        if urlsplit(self.url).scheme not in ("http", "https") or not urlsplit(self.url).hostname:
            raise ConfigError(f"{where}: url must be an http:// or https:// address")
        if self.format not in ("json", "xml"):
            raise ConfigError(f"{where}: format must be json or xml, not {self.format!r}")
        for name in ("page_cap", "page_size"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ConfigError(f"{where}: {name} must be a whole number >= 1, not {value!r}")
        if not 0 < float(self.window_days) <= MAX_WINDOW_DAYS:
            raise ConfigError(f"{where}: window_days must be more than 0 and at most {MAX_WINDOW_DAYS}")
        if not isinstance(self.departments, dict):
            raise ConfigError(f"{where}: departments must map agency names to department codes")
        if self.strip_z not in (True, False, "offset"):
            raise ConfigError(f"{where}: strip_z must be true, false or \"offset\"")
        if len(self.source_name) > 60 or len(self.key) > 300:
            raise ConfigError(f"{where}: source (60) or name (300 characters) is too long")
        if self.timezone:
            try:
                ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(f"{where}: unknown time zone {self.timezone!r}") from None

    @property
    def key(self) -> str:
        """The PollCursor key: the configured name, else the URL."""
        return self.name or self.base

    @property
    def base(self) -> str:
        return self.url.rstrip("/")

    @property
    def source_name(self) -> str:
        return self.source or f"open311:{urlsplit(self.url).hostname}"

    @property
    def limit(self) -> int:
        """How many records in one answer mean it may have been cut short."""
        if self.supports_paging and self.page_size:
            return min(self.page_cap, self.page_size)
        return self.page_cap

    @property
    def lookback(self) -> timedelta:
        days = self.lookback_days
        if days is None:
            days = 0 if self.supports_updated_after else DEFAULT_LOOKBACK_DAYS
        return timedelta(days=float(days))

    def zone(self) -> tzinfo:
        return ZoneInfo(self.timezone or current_app.config["TIMEZONE"])


def configured_endpoint(name_or_url: str) -> dict[str, Any] | None:
    """The OPEN311_ENDPOINTS entry named `name_or_url` or with that URL, if any."""
    for entry in current_app.config["OPEN311_ENDPOINTS"]:
        if isinstance(entry, dict) and (entry.get("name") == name_or_url
                                        or str(entry.get("url", "")).rstrip("/") == name_or_url.rstrip("/")):
            return dict(entry)
    return None


# --- HTTP -----------------------------------------------------------------------------------------

@dataclass
class Retry:
    """Retries of timeouts, connection errors, 5xx and 429: exponential back-off, Retry-After honoured."""

    attempts: int = 4
    base: float = 1.0
    factor: float = 2.0
    #: Longest wait; a Retry-After asking for more gives up instead.
    max_delay: float = 120.0
    sleep: Callable[[float], None] = time.sleep

    def backoff(self, failures: int) -> float:
        """Seconds to wait after the `failures`-th failure (1, 2, 4... times `base`)."""
        return min(self.base * self.factor ** (failures - 1), self.max_delay)


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    if raw.strip().isdigit():
        return float(raw.strip())
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds()) if when.tzinfo else None


def _shown(url: str, params: dict[str, str]) -> str:
    """The URL with its query, api_key masked (secrets never reach logs or messages)."""
    visible = {k: ("***" if k == "api_key" else v) for k, v in params.items()}
    return f"{url}?{urlencode(visible, safe=':*')}" if visible else url


def _reason(response: httpx.Response) -> str:
    """A short account of an error response: the GeoReport error text, the page title or the body's start."""
    body = response.content[:4096]
    if looks_like_html(body):
        title = html_title(body)
        return f"an HTML page ({title})" if title else "an HTML page"
    try:
        described = error_description(json.loads(body))
    except ValueError:
        described = None
    if described is None:
        text = re.sub(r"<[^>]+>", " ", body.decode("utf-8", "replace"))
        described = " ".join(text.split())[:200]
    return described or "(empty body)"


class Client:
    """HTTP for one endpoint: its parameters, retries with back-off, the trailing-Z quirk, payload checks."""

    def __init__(self, endpoint: Endpoint, *, tz: tzinfo = UTC, timeout: float = 30, retry: Retry | None = None,
                 http: httpx.Client | None = None, progress: Callable[[str], None] | None = None):
        self.endpoint = endpoint
        self.tz = tz
        self.timeout = endpoint.timeout or timeout
        self.retry = retry or Retry()
        accept = "application/json" if endpoint.format == "json" else "application/xml, text/xml"
        self.http = http or httpx.Client(timeout=httpx.Timeout(self.timeout), follow_redirects=True,
                                         headers={"Accept": accept, "User-Agent": "vocapp-open311/1"})
        self._owns_http = http is None
        self.progress = progress or (lambda message: None)
        self.strip_z = endpoint.strip_z
        #: Set when a 400 about dates taught us that the endpoint refuses a trailing "Z".
        self.learned_strip_z = False
        self.calls = 0

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def requests(self, start: datetime, end: datetime, page: int | None = None) -> list[Any]:
        """The closed requests of one window (one page of it when `page` is given), unchecked."""
        return self._items("requests", lambda: self._window_params(start, end, page))

    def services(self) -> list[Any]:
        """The endpoint's service list, unchecked."""
        return self._items("services", self._common_params)

    def _common_params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.endpoint.jurisdiction_id:
            params["jurisdiction_id"] = str(self.endpoint.jurisdiction_id)
        if self.endpoint.api_key:
            params["api_key"] = str(self.endpoint.api_key)
        return params

    def _window_params(self, start: datetime, end: datetime, page: int | None) -> dict[str, str]:
        # Built per attempt: learning that the endpoint refuses "Z" changes the dates of the retry.
        params = self._common_params()
        params["status"] = "closed"
        names = ("updated_after", "updated_before") if self.endpoint.supports_updated_after \
            else ("start_date", "end_date")
        params[names[0]] = format_param(start, self.strip_z, self.tz)
        params[names[1]] = format_param(end, self.strip_z, self.tz)
        if self.endpoint.extensions:
            params["extensions"] = "true"
        if self.endpoint.supports_paging:
            params["page_size"] = str(self.endpoint.limit)
            params["page"] = str(page or 1)
        return params

    def _items(self, kind: str, params: Callable[[], dict[str, str]]) -> list[Any]:
        url = f"{self.endpoint.base}/{kind}.{self.endpoint.format}"
        response, shown = self._get(url, params)
        try:
            return parse_payload(response.content, response.headers.get("content-type"), self.endpoint.format, kind)
        except PayloadError as exc:
            raise Open311Error(f"{shown}: {exc}", url, response.status_code) from None

    def _refuses_z(self, response: httpx.Response, params: dict[str, str]) -> bool:
        """A 400 that mentions dates, to a query whose dates end in "Z": the endpoint wants them without."""
        return (response.status_code == 400 and not self.strip_z
                and any(v.endswith("Z") for k, v in params.items() if k.endswith(("_date", "_after", "_before")))
                and re.search(rb"date|time", response.content[:4096], re.I) is not None)

    def _get(self, url: str, make_params: Callable[[], dict[str, str]]) -> tuple[httpx.Response, str]:
        failures = 0
        while True:
            params = make_params()
            shown = _shown(url, params)
            wait: float | None = None
            try:
                self.calls += 1
                response = self.http.get(url, params=params)
            except httpx.TimeoutException:
                problem = f"timed out after {self.timeout:g} s"
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__}: {exc})"
            else:
                if response.is_success:
                    return response, shown
                if self._refuses_z(response, params):
                    self.strip_z = self.learned_strip_z = True
                    self.progress(f"{url} refused a trailing Z in dates; retrying with local times")
                    continue
                if response.status_code != 429 and response.status_code < 500:
                    raise Open311Error(f"{shown}: HTTP {response.status_code}: {_reason(response)}",
                                       url, response.status_code)
                problem = f"HTTP {response.status_code}: {_reason(response)}"
                wait = _retry_after(response)
            failures += 1
            if failures >= self.retry.attempts:
                raise Open311Error(f"{shown}: {problem}; gave up after {failures} attempts", url)
            delay = self.retry.backoff(failures) if wait is None else wait
            if delay > self.retry.max_delay:
                raise Open311Error(f"{shown}: {problem}, asked to retry after {delay:g} s (longer than "
                                   f"{self.retry.max_delay:g} s); try again later", url)
            self.progress(f"{url}: {problem}; retrying in {delay:g} s")
            self.retry.sleep(delay)


# --- polling --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    """A span of time asked for in one query: [start, end)."""

    start: datetime
    end: datetime

    def halves(self) -> tuple[Window, Window]:
        middle = (self.start + (self.end - self.start) / 2).replace(microsecond=0)
        return Window(self.start, middle), Window(middle, self.end)

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M:%S} .. {self.end:%Y-%m-%d %H:%M:%S} UTC"


def windows(start: datetime, end: datetime, days: float) -> list[Window]:
    """[start, end) cut into consecutive windows of at most `days`.

    >>> [str(w) for w in windows(datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 4, tzinfo=UTC), 2)]
    ['2024-01-01 00:00:00 .. 2024-01-03 00:00:00 UTC', '2024-01-03 00:00:00 .. 2024-01-04 00:00:00 UTC']
    """
    size, out = timedelta(days=days), []
    while start < end:
        out.append(Window(start, min(start + size, end)))
        start = out[-1].end
    return out


@dataclass
class PollResult:
    """What one poll did: windows, records read, stored and rejected (with reasons), where the cursor is."""

    endpoint: str
    start: datetime | None = None
    until: datetime | None = None
    windows: int = 0
    splits: int = 0
    paged: int = 0
    calls: int = 0
    read: int = 0
    stored: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    #: Windows still capped at the minimum size on an endpoint without paging: some records may be missing.
    incomplete: list[Window] = field(default_factory=list)
    cursor: datetime | None = None
    learned_strip_z: bool = False
    unmapped_agencies: dict[str, int] = field(default_factory=dict)
    run_id: int | None = None

    def summary(self) -> list[str]:
        """The result in a few lines for a person."""
        rejected = sum(self.rejected.values())
        lines = [f"{self.endpoint}: {self.windows} window(s) ({self.splits} split, {self.paged} paged, "
                 f"{self.calls} HTTP requests); {self.read} records read, {self.stored} stored, {rejected} rejected."]
        lines += [f"  rejected {n} x {reason}" for reason, n in self.rejected.most_common(10)]
        lines.append(f"Cursor: {self.cursor.isoformat() if self.cursor else '(none)'}")
        if self.learned_strip_z:
            lines.append('Note: the endpoint refused a trailing Z in dates; set "strip_z": True in its entry.')
        for window in self.incomplete:
            lines.append(f"Warning: {window} still hit the page cap and the endpoint has no paging: "
                         "records may be missing.")
        if self.unmapped_agencies:
            top = sorted(self.unmapped_agencies.items(), key=lambda kv: -kv[1])[:5]
            lines.append("Agencies matching no department: " + "; ".join(f"{a} ({n})" for a, n in top))
        return lines


class _Departments:
    """DepartmentMap that first translates the endpoint's agency names to department codes."""

    def __init__(self, base: DepartmentMap, names: dict[str, str]):
        self.base = base
        self.names = {name.strip().lower(): code for name, code in names.items()}
        self.unmapped = base.unmapped

    def __call__(self, agency: str | None) -> int | None:
        return self.base(self.names.get((agency or "").strip().lower(), agency))


def _latest_per_id(records: Iterable[RequestRecord]) -> list[RequestRecord]:
    """One record per id, the newest: overlapping pages repeat records, and one upsert may not hit a row twice."""
    latest: dict[str, RequestRecord] = {}
    oldest = datetime.min.replace(tzinfo=UTC)
    for record in records:
        seen = latest.get(record.source_id)
        if seen is None or (record.source_updated_at or oldest) >= (seen.source_updated_at or oldest):
            latest[record.source_id] = record
    return list(latest.values())


def _raw(item: Any) -> str:
    if isinstance(item, dict):
        item = {k: v for k, v in item.items() if k not in _CONTACT_KEYS}
    return json.dumps(item, default=str, ensure_ascii=False)[:20000]


class _Poller:
    """One poll of one endpoint: the windows, the splitting and paging, the per-window commits."""

    def __init__(self, endpoint: Endpoint, client: Client, result: PollResult, now: datetime,
                 progress: Callable[[str], None]):
        self.endpoint, self.client, self.result, self.now, self.progress = endpoint, client, result, now, progress
        self.tz = client.tz
        self.validator = RecordValidator(endpoint.schema_dir, "requests")
        self.contacts = Contacts.from_app()
        self.departments = _Departments(DepartmentMap(db.session.connection()), endpoint.departments)
        self._names: dict[str, str] | None = None

    def run(self, start: datetime, until: datetime) -> None:
        pending = list(reversed(windows(start, until, float(self.endpoint.window_days))))
        while pending:
            window = pending.pop()
            items = self.client.requests(window.start, window.end,
                                         page=1 if self.endpoint.supports_paging else None)
            if len(items) >= self.endpoint.limit:
                if window.length / 2 >= MIN_WINDOW:
                    first, second = window.halves()
                    pending += [second, first]
                    self.result.splits += 1
                    self.progress(f"{window}: {len(items)} records, the cap; splitting")
                    continue
                items = self._all_pages(window, items)
            self._store(window, items)
        self.result.unmapped_agencies = dict(self.departments.unmapped)

    def _all_pages(self, window: Window, first: list[Any]) -> list[Any]:
        """Every page of a window that is capped even at the minimum size (or what there is, with a warning)."""
        if not self.endpoint.supports_paging:
            self.result.incomplete.append(window)
            log.warning("Open311 %s: %s hit the page cap with no paging; records may be missing",
                        self.endpoint.key, window)
            return first
        self.result.paged += 1
        items, seen = list(first), {_item_id(i) for i in first}
        for page in range(2, MAX_PAGES + 1):
            batch = self.client.requests(window.start, window.end, page=page)
            fresh = [i for i in batch if _item_id(i) not in seen]
            items += fresh
            seen.update(_item_id(i) for i in fresh)
            self.progress(f"{window}: page {page}, {len(batch)} records")
            if len(batch) < self.endpoint.limit or not fresh:  # the last page, or a server ignoring `page`
                return items
        self.result.incomplete.append(window)
        return items

    def _service_name(self, code: str | None) -> str | None:
        """A service's name from the endpoint's service list, fetched once, when a request lacks it."""
        if self._names is None:
            try:
                self._names = service_names(normalise(s) for s in self.client.services())
            except Open311Error as exc:
                log.warning("Open311 %s: no service list (%s)", self.endpoint.key, exc)
                self._names = {}
        return self._names.get(code or "")

    def _convert(self, items: list[Any]) -> tuple[list[RequestRecord], list[RejectedRecord]]:
        records, rejects = [], []
        for position, raw in enumerate(items, start=1):
            item = normalise(raw)
            source_id = _item_id(item)[:80] if isinstance(item, dict) and item.get("service_request_id") else None
            problems = self.validator.problems(item)
            try:
                if problems:
                    raise ImportError_("; ".join(problems))
                records.append(to_record(item, self.endpoint.source_name, self.tz, self._service_name))
            except ImportError_ as exc:
                rejects.append(RejectedRecord(position, str(exc)[:300], source_id, _raw(raw)))
        return records, rejects

    def _store(self, window: Window, items: list[Any]) -> None:
        """Store one window's records and rejects and move the cursor past it, in one commit."""
        records, rejects = self._convert(items)
        try:
            stored = upsert(db.session.connection(), _latest_per_id(records), self.departments, self.contacts,
                            self.now)
            db.session.add_all(RejectedRow(run_id=self.result.run_id, line=r.line, source_id=r.source_id,
                                           reason=r.reason, raw=r.raw) for r in rejects)
            run = db.session.get(ImportRun, self.result.run_id)
            run.rows_read += len(items)
            run.rows_stored += stored
            run.rows_rejected += len(rejects)
            # Locked and re-read: a concurrent poller may have moved it; it never moves back.
            cursor = db.session.get(PollCursor, self.endpoint.key, with_for_update=True, populate_existing=True)
            cursor.cursor = max(cursor.cursor, window.end) if cursor.cursor else window.end
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        self.result.windows += 1
        self.result.read += len(items)
        self.result.stored += stored
        self.result.rejected.update(r.reason for r in rejects)
        self.result.cursor = cursor.cursor
        self.progress(f"{window}: {len(items)} read, {stored} stored, {len(rejects)} rejected")


def _item_id(item: Any) -> str:
    return str(item.get("service_request_id")) if isinstance(item, dict) else repr(item)


def _insert(dialect: str):
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _cursor_row(key: str) -> PollCursor:
    """The endpoint's PollCursor, created (race-free) when it is polled for the first time."""
    conn = db.session.connection()
    conn.execute(_insert(conn.dialect.name)(PollCursor.__table__).values(endpoint=key).on_conflict_do_nothing())
    return db.session.execute(select(PollCursor).where(PollCursor.endpoint == key)
                              .execution_options(populate_existing=True)).scalar_one()


def _record_failure(key: str, message: str, now: datetime, run_id: int | None = None) -> None:
    """Store an error on the endpoint's cursor (and its run) in a transaction of its own."""
    db.session.rollback()
    try:
        row = _cursor_row(key)
        row.last_error, row.last_polled_at = message, now
        run = db.session.get(ImportRun, run_id) if run_id else None
        if run is not None:
            run.status, run.error, run.finished_at = "failed", message, utcnow()
        db.session.commit()
    except Exception:  # the database itself may be what failed: keep the original error
        db.session.rollback()
        log.exception("could not record the failure of Open311 endpoint %s", key)


def poll(endpoint: Endpoint, *, since: datetime | None = None, until: datetime | None = None, reset: bool = False,
         retry: Retry | None = None, http: httpx.Client | None = None, now: datetime | None = None,
         progress: Callable[[str], None] | None = None) -> PollResult:
    """Poll `endpoint` from its cursor (else `since`, else 90 days ago) to `until` (else now); commits per window.

    Raises Open311Error when the endpoint fails; the windows stored before stay, and the
    cursor stays after the last of them. Needs an app context.
    """
    progress = progress or (lambda message: None)
    now = (now or utcnow()).replace(microsecond=0)
    until = (until or now).replace(microsecond=0)
    result = PollResult(endpoint.key, until=until)
    row = _cursor_row(endpoint.key)
    if row.cursor is not None and not reset:
        start = row.cursor - endpoint.lookback
        if since is not None:
            progress(f"the stored cursor ({row.cursor.isoformat()}) wins over --since; --reset ignores it")
        if endpoint.lookback:
            progress(f"resuming at the cursor {row.cursor.isoformat()}, re-reading {endpoint.lookback} before it")
    else:
        start = since or now - timedelta(days=MAX_WINDOW_DAYS)
    result.start, result.cursor = start.replace(microsecond=0), row.cursor
    run = ImportRun(kind="open311", target=endpoint.base[:1000], status="running")
    db.session.add(run)
    db.session.commit()
    result.run_id = run.id
    client = Client(endpoint, tz=endpoint.zone(), timeout=current_app.config["OPEN311_TIMEOUT"], retry=retry,
                    http=http, progress=progress)
    try:
        with client:
            _Poller(endpoint, client, result, now, progress).run(result.start, until)
    except Exception as exc:
        result.calls, result.learned_strip_z = client.calls, client.learned_strip_z
        message = str(exc) if isinstance(exc, VocappError) else f"{type(exc).__name__}: {exc}"
        _record_failure(endpoint.key, message[:2000], now, run.id)
        raise
    result.calls, result.learned_strip_z = client.calls, client.learned_strip_z
    _finish(endpoint.key, run.id, now)
    return result


def _finish(key: str, run_id: int, now: datetime) -> None:
    row = _cursor_row(key)
    row.last_error, row.last_polled_at = None, now
    run = db.session.get(ImportRun, run_id)
    run.status, run.finished_at = "done", utcnow()
    db.session.commit()


def poll_configured(app: Flask, *, retry: Retry | None = None,
                    progress: Callable[[str], None] | None = None) -> dict[str, PollResult | Exception]:
    """Poll every OPEN311_ENDPOINTS entry once; a failing endpoint is logged and stored, the others still run.

    Commits its own work (per window), so the scheduler can call it outside any request.
    """
    results: dict[str, PollResult | Exception] = {}
    with app.app_context():
        for entry in app.config["OPEN311_ENDPOINTS"]:
            key = str(entry.get("name") or entry.get("url") or "?") if isinstance(entry, dict) else repr(entry)
            try:
                endpoint = Endpoint.from_config(entry)
            except ConfigError as exc:
                log.error("Open311 endpoint %s is misconfigured: %s", key, exc)
                _record_failure(key[:300], str(exc), utcnow().replace(microsecond=0))
                results[key] = exc
                continue
            try:
                result = poll(endpoint, retry=retry, progress=progress)
            except Exception as exc:  # one endpoint's failure must not stop the others
                log.error("Open311 poll of %s failed: %s", endpoint.key, exc)
                results[endpoint.key] = exc
                continue
            log.info("Open311 poll of %s: %s", endpoint.key, " ".join(result.summary()))
            results[endpoint.key] = result
    return results


# --- command line ---------------------------------------------------------------------------------

@click.group("open311")
def open311_group():
    """Open311 GeoReport v2 endpoints: poll them for closed requests."""


def _cli_error(message: str) -> click.ClickException:
    from vocapp.cli import CliError  # here: vocapp.cli imports this module

    return CliError(message)


def _endpoint_from_cli(target: str, overrides: dict[str, Any]) -> Endpoint:
    entry = configured_endpoint(target) or {"url": target}
    entry.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Endpoint.from_config(entry)
    except ConfigError as exc:
        raise _cli_error(str(exc)) from None


def _cli_time(raw: str | None, option: str, tz: tzinfo) -> datetime | None:
    try:
        return parse_datetime(raw, tz)
    except ImportError_:
        raise _cli_error(f"{option} {raw!r} is not an ISO date or date-time (e.g. 2024-01-31)") from None


def _endpoint_options(command: Callable) -> Callable:
    for option in reversed([
        click.option("--jurisdiction-id", help="The endpoint's jurisdiction_id."),
        click.option("--api-key", envvar="OPEN311_API_KEY", help="API key (or OPEN311_API_KEY in the environment)."),
        click.option("--format", "format_", type=click.Choice(["json", "xml"]), help="Payload format (json)."),
        click.option("--schema", "schema_dir", type=click.Path(exists=True, file_okay=False),
                     help="Folder with the GeoReport v2 JSON schemas to check records against."),
    ]):
        command = option(command)
    return command


@open311_group.command("poll")
@click.argument("url")
@_endpoint_options
@click.option("--source", help='Source name of the stored requests (default "open311:HOST").')
@click.option("--since", help="Start here when there is no cursor (ISO date; default 90 days ago).")
@click.option("--until", help="Stop here (ISO date; default now).")
@click.option("--page-size", type=click.IntRange(1), help="Use the page/page_size extension with this page size.")
@click.option("--page-cap", type=click.IntRange(1), help=f"Records per answer the endpoint caps at "
                                                          f"(default {DEFAULT_PAGE_CAP}).")
@click.option("--updated-after/--no-updated-after", "updated_after", default=None,
              help="Window on updated_datetime with the updated_after extension.")
@click.option("--strip-z", is_flag=True, default=None, help="Send dates without a trailing Z (local time).")
@click.option("--no-extensions", is_flag=True, help="Do not ask for extensions=true.")
@click.option("--window-days", type=click.FloatRange(0, MAX_WINDOW_DAYS, min_open=True), help="Window size (90).")
@click.option("--lookback-days", type=click.FloatRange(0), help="Days re-read before the cursor.")
@click.option("--timezone", help="Time zone of the endpoint's naive timestamps (default TIMEZONE).")
@click.option("--reset", is_flag=True, help="Ignore the stored cursor (start at --since).")
@click.option("--retries", type=click.IntRange(1), default=4, show_default=True, help="Attempts per HTTP request.")
@with_appcontext
def poll_command(url: str, jurisdiction_id, api_key, format_, schema_dir, source, since, until, page_size, page_cap,
                 updated_after, strip_z, no_extensions, window_days, lookback_days, timezone, reset, retries):
    """Poll URL (an endpoint base such as https://city.example/open311/v2, or the name of an
    OPEN311_ENDPOINTS entry) for closed requests, from its stored cursor to now."""
    endpoint = _endpoint_from_cli(url, {
        "jurisdiction_id": jurisdiction_id, "api_key": api_key, "format": format_, "schema_dir": schema_dir,
        "source": source, "page_size": page_size, "page_cap": page_cap, "supports_updated_after": updated_after,
        "supports_paging": True if page_size else None, "strip_z": strip_z,
        "extensions": False if no_extensions else None, "window_days": window_days,
        "lookback_days": lookback_days, "timezone": timezone,
    })
    tz = endpoint.zone()
    start, stop = _cli_time(since, "--since", tz), _cli_time(until, "--until", tz)
    try:
        result = poll(endpoint, since=start, until=stop, reset=reset, retry=Retry(attempts=retries),
                      progress=lambda message: click.echo(message, err=True))
    except (Open311Error, ConfigError) as exc:
        raise _cli_error(str(exc)) from None
    for line in result.summary():
        click.echo(line)


@open311_group.command("services")
@click.argument("url")
@_endpoint_options
@with_appcontext
def services_command(url: str, jurisdiction_id, api_key, format_, schema_dir):
    """List the services (service_code, name, group) of the endpoint at URL."""
    endpoint = _endpoint_from_cli(url, {"jurisdiction_id": jurisdiction_id, "api_key": api_key,
                                        "format": format_, "schema_dir": schema_dir})
    validator = RecordValidator(endpoint.schema_dir, "services")
    try:
        with Client(endpoint, timeout=current_app.config["OPEN311_TIMEOUT"]) as client:
            items = [normalise(s) for s in client.services()]
    except Open311Error as exc:
        raise _cli_error(str(exc)) from None
    for item in items:
        problems = validator.problems(item)
        if problems:
            click.echo(f"skipped a service: {'; '.join(problems)}", err=True)
            continue
        click.echo("\t".join(str(item.get(k) or "") for k in ("service_code", "service_name", "group")))


@open311_group.command("cursors")
@with_appcontext
def cursors_command():
    """Show where the polling of each endpoint stands."""
    rows = db.session.scalars(select(PollCursor).order_by(PollCursor.endpoint)).all()
    if not rows:
        click.echo("No endpoint has been polled yet.")
    for row in rows:
        cursor = row.cursor.isoformat() if row.cursor else "-"
        polled = row.last_polled_at.isoformat() if row.last_polled_at else "-"
        click.echo(f"{row.endpoint}\tcursor {cursor}\tpolled {polled}" + (f"\terror: {row.last_error}"
                                                                            if row.last_error else ""))

"""Open311 GeoReport v2 payloads: safe parsing (JSON and XML), schema checks, mapping to `RequestRecord`.

Pure functions, no HTTP and no database: `vocapp.connectors.open311` fetches the
bytes and stores the records. Real endpoints deviate from the specification in
small ways (numeric service codes, empty ``<updated_datetime/>``, coordinates as
strings, a ``<requests>`` or ``<service_requests>`` root); `normalise` smooths
those over before the record is checked, so only records that are really
broken get quarantined.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from surveys.languages import normalize as normalize_language
from vocapp.connectors.records import ImportError_, RequestRecord, channel_of, clean_zip, status_of
from vocapp.models.request import RequestStatus

__all__ = [
    "PayloadError", "parse_payload", "parse_xml", "parse_datetime", "format_param", "normalise",
    "RecordValidator", "to_record", "error_description", "looks_like_html", "html_title", "element_value",
    "service_names",
]


class PayloadError(ValueError):
    """A response that is not a usable Open311 payload; the message says what is wrong with it."""


# --- timestamps ---------------------------------------------------------------------------------

def parse_datetime(raw: object, tz: tzinfo = UTC) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 value; naive values are read in `tz`; empty is None.

    >>> parse_datetime("2014-05-09T19:02:21-05:00")
    datetime.datetime(2014, 5, 10, 0, 2, 21, tzinfo=datetime.timezone.utc)
    >>> from zoneinfo import ZoneInfo
    >>> parse_datetime("2014-01-01 06:00:00", ZoneInfo("America/Chicago")).isoformat()
    '2014-01-01T12:00:00+00:00'
    >>> parse_datetime(""), parse_datetime(None)
    (None, None)
    >>> parse_datetime("yesterday")
    Traceback (most recent call last):
    ...
    vocapp.connectors.records.ImportError_: unreadable timestamp 'yesterday'
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = datetime.fromisoformat(str(raw).strip())
    except ValueError:
        raise ImportError_(f"unreadable timestamp {str(raw)[:40]!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def format_param(moment: datetime, strip_z: bool | str = False, tz: tzinfo = UTC) -> str:
    """A query-string timestamp: UTC with ``Z``; or, for endpoints refusing ``Z``, local time without it.

    `strip_z` may be True (naive local time, as Chicago wants) or "offset" (local time with its offset).

    >>> from zoneinfo import ZoneInfo
    >>> moment = datetime(2014, 1, 1, 6, 0, tzinfo=UTC)
    >>> format_param(moment), format_param(moment, True, ZoneInfo("America/Chicago"))
    ('2014-01-01T06:00:00Z', '2014-01-01T00:00:00')
    >>> format_param(moment, "offset", ZoneInfo("America/Chicago"))
    '2014-01-01T00:00:00-06:00'
    """
    if not strip_z:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    local = moment.astimezone(tz).replace(microsecond=0)
    if strip_z == "offset":
        return local.isoformat()
    return local.replace(tzinfo=None).isoformat()


# --- payloads -----------------------------------------------------------------------------------

_JSON_TYPES = ("application/json", "text/json", "application/javascript", "text/javascript",
               "application/x-javascript", "text/plain")
_XML_TYPES = ("application/xml", "text/xml", "text/plain")
#: Roots (and their item tags) of the XML lists GeoReport v2 servers send.
_XML_ROOTS = {"requests": "requests", "service_requests": "requests", "services": "services"}


def looks_like_html(body: bytes) -> bool:
    """True when `body` is an HTML page (a proxy's or framework's error page, a login form).

    >>> looks_like_html(b"  <!DOCTYPE html><html><title>502</title>"), looks_like_html(b"[]")
    (True, False)
    """
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head


def html_title(body: bytes) -> str:
    """The <title> of an HTML page, in one short line ("" when it has none)."""
    match = re.search(rb"<title[^>]*>(.*?)</title>", body[:4096], re.I | re.S)
    return " ".join(match.group(1).decode("utf-8", "replace").split())[:80] if match else ""


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def _check_content_type(body: bytes, content_type: str | None, fmt: str) -> None:
    """Refuse HTML pages and content types that are neither the format asked for nor plain text."""
    if looks_like_html(body):
        title = html_title(body)
        raise PayloadError("answered an HTML page instead of Open311 " + fmt.upper()
                           + (f" (title: {title!r})" if title else ""))
    media = _media_type(content_type)
    if not media:
        return
    allowed = _JSON_TYPES if fmt == "json" else _XML_TYPES
    suffix = "+json" if fmt == "json" else "+xml"
    # text/html carrying JSON is a common server bug; the body decides then (HTML pages are refused above).
    if media in allowed or media.endswith(suffix) or media == "text/html":
        return
    raise PayloadError(f"answered content type {media!r}, expected {fmt.upper()}")


def parse_payload(body: bytes, content_type: str | None, fmt: str, kind: str = "requests") -> list[Any]:
    """The list of items (requests or services) in a response body, or PayloadError saying why not.

    >>> parse_payload(b'[{"service_request_id": "1"}]', "application/json", "json")
    [{'service_request_id': '1'}]
    >>> parse_payload(b'<service_requests><request><status>open</status></request></service_requests>',
    ...               "text/xml", "xml")
    [{'status': 'open'}]
    >>> parse_payload(b'[{"service_request_id": "1"', "application/json", "json")
    Traceback (most recent call last):
    ...
    vocapp.connectors.open311_parse.PayloadError: invalid JSON (truncated?): Expecting ',' delimiter at line 1 column 28
    """
    if not body.strip():
        raise PayloadError("answered an empty body")
    _check_content_type(body, content_type, fmt)
    return _json_items(body, kind) if fmt == "json" else _xml_items(body, kind)


def _json_items(body: bytes, kind: str) -> list[Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise PayloadError(f"invalid JSON (truncated?): {reason}{where}") from None
    described = error_description(payload)
    if described:
        raise PayloadError(f"answered an Open311 error: {described}")
    if isinstance(payload, dict):
        # A few servers wrap the list: {"service_requests": [...]}.
        for key in ("service_requests", "requests", "services", "request", "service"):
            if isinstance(payload.get(key), list):
                return payload[key]
        raise PayloadError(f"expected a JSON array of {kind}, got an object with keys {sorted(payload)[:6]}")
    if not isinstance(payload, list):
        raise PayloadError(f"expected a JSON array of {kind}, got {type(payload).__name__}")
    return payload


def error_description(payload: Any) -> str | None:
    """The message of a GeoReport error list (``[{"code": 400, "description": ...}]``), else None.

    >>> error_description([{"code": 400, "description": "Invalid start_date"}])
    '400 Invalid start_date'
    >>> error_description([{"service_request_id": "1"}]) is None
    True
    """
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(i, dict) and i and set(i) <= {"code", "description"} for i in items):
        return None
    return "; ".join(f"{i.get('code', '')} {i.get('description', '')}".strip() for i in items)[:300]


def _xml_items(body: bytes, kind: str) -> list[Any]:
    root = parse_xml(body)
    if root.tag == "errors":
        errors = [element_value(child) for child in root]
        raise PayloadError("answered an Open311 error: " + (error_description(errors) or "(no description)"))
    if _XML_ROOTS.get(root.tag) != kind:
        raise PayloadError(f"unexpected XML root <{root.tag}> (expected a list of {kind})")
    return [element_value(child) for child in root]


class _Forbidden(PayloadError):
    """XML that declares entities or loads a DTD: never expanded, always refused."""


def parse_xml(body: bytes) -> Element:
    """Parse untrusted XML into an ElementTree, refusing DTDs and entity declarations (no expansion ever).

    This is what defusedxml does, without the dependency: expat is driven
    directly, so a declaration stops the parse before anything is expanded.

    >>> parse_xml(b"<services><service/></services>").tag
    'services'
    >>> parse_xml(b'<!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>')
    Traceback (most recent call last):
    ...
    vocapp.connectors.open311_parse._Forbidden: refused XML with a DTD or entity declarations
    """
    builder = TreeBuilder()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True

    def forbid(*_args: object) -> None:
        raise _Forbidden("refused XML with a DTD or entity declarations")

    def doctype(_name: str, system_id: str | None, _public_id: str | None, internal_subset: bool) -> None:
        if system_id or internal_subset:
            forbid()

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise PayloadError(f"invalid XML (truncated?): {expat.ErrorString(exc.code)} "
                           f"at line {exc.lineno} column {exc.offset + 1}") from None
    return builder.close()


def element_value(element: Element) -> Any:
    """A JSON-like value of an XML element: text (None when empty), a dict, or a list for plural wrappers.

    >>> element_value(parse_xml(b"<r><a>1</a><b/><notes><note><type>closed</type></note></notes></r>"))
    {'a': '1', 'b': None, 'notes': [{'type': 'closed'}]}
    """
    children = list(element)
    if not children:
        text = (element.text or "").strip()
        return text or None
    tags = {child.tag for child in children}
    if len(tags) == 1 and (len(children) > 1 or element.tag == f"{children[0].tag}s"):
        return [element_value(child) for child in children]
    out: dict[str, Any] = {}
    for child in children:
        value = element_value(child)
        if child.tag in out:  # a repeated tag among others: keep them all
            previous = out[child.tag]
            out[child.tag] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[child.tag] = value
    return out


# --- normalising and checking records -------------------------------------------------------------

_ID_FIELDS = ("service_request_id", "service_code")
_BOOLEAN_FIELDS = ("metadata",)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def normalise(item: Any) -> Any:
    """Smooth over harmless deviations: numeric ids as text, blank strings as null, coordinates as numbers.

    >>> normalise({"service_request_id": 101, "service_code": 7.0, "status": " Closed ", "lat": "41.5",
    ...            "long": "", "updated_datetime": "", "metadata": "false"})
    {'service_request_id': '101', 'service_code': '7', 'status': 'closed', 'lat': 41.5, 'long': None, 'updated_datetime': None, 'metadata': False}
    """
    if not isinstance(item, dict):
        return item
    out = {key: (value.strip() or None) if isinstance(value, str) else value for key, value in item.items()}
    for key in _ID_FIELDS:
        value = out.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(out.get("status"), str):
        out["status"] = out["status"].lower()
    for key in ("lat", "long"):
        if key in out and not isinstance(out[key], int | float):
            out[key] = _number(out[key])
    for key in _BOOLEAN_FIELDS:
        if isinstance(out.get(key), str) and out[key].lower() in ("true", "false"):
            out[key] = out[key].lower() == "true"
    return out


#: What request.json requires, for when no schema folder is given (it mirrors the published schema).
_REQUIRED = {"requests": ("service_request_id", "status", "service_code", "requested_datetime"),
             "services": ("service_code", "service_name", "metadata", "type")}
_SCHEMA_FILES = {"requests": "request.json", "services": "service.json"}


class RecordValidator:
    """Checks one item against the GeoReport v2 JSON schema read from `schema_dir` (or the built-in rules).

    The schema files (request.json, service.json) are read at run time from
    the folder given; without one, the required fields and the status
    vocabulary are checked by hand, so the poller works where jsonschema is
    not installed.
    """

    def __init__(self, schema_dir: str | Path | None = None, kind: str = "requests"):
        self.kind = kind
        self._validator = None
        if schema_dir is not None:
            from jsonschema import Draft4Validator  # imported here: only needed when schemas are used

            schema = json.loads((Path(schema_dir) / _SCHEMA_FILES[kind]).read_text(encoding="utf-8"))
            self._validator = Draft4Validator(schema)

    def problems(self, item: Any) -> list[str]:
        """What is wrong with `item`, in words (empty when it is valid)."""
        if not isinstance(item, dict):
            return [f"not an object but {type(item).__name__}"]
        if self._validator is not None:
            errors = sorted(self._validator.iter_errors(item), key=lambda e: list(e.absolute_path))
            return [_schema_message(error) for error in errors[:3]]
        missing = [f"{name!r} is a required property" for name in _REQUIRED[self.kind] if item.get(name) is None]
        if self.kind == "requests" and item.get("status") not in (None, "open", "closed"):
            missing.append(f"status {item['status']!r} is not one of ['open', 'closed']")
        return missing


def _schema_message(error: Any) -> str:
    where = ".".join(str(part) for part in error.absolute_path)
    return f"{where}: {error.message}" if where else error.message


# --- mapping to RequestRecord ---------------------------------------------------------------------

#: extended_attributes keys that become columns; the rest is kept in `extra`.
_MAPPED_EXTENSIONS = frozenset({"channel", "ward", "zip", "duplicate", "parent_service_request_id",
                                "duplicate_of", "language"})
#: Top-level fields kept in `extra` (description is left out: residents write personal details there).
_KEPT_FIELDS = ("address", "address_id", "media_url", "expected_datetime", "service_notice")
_LIMITS = {"service_code": 120, "service_name": 200, "agency": 120, "ward": 60}


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "1", "yes"))


def _notes(item: dict) -> list[dict]:
    notes = item.get("notes")
    if isinstance(notes, dict):  # an XML <notes> with one <note> child
        notes = notes.get("note", [notes])
    if isinstance(notes, dict):
        notes = [notes]
    return [n for n in notes if isinstance(n, dict)] if isinstance(notes, list) else []


def _note_id(note: dict) -> str | None:
    attributes = note.get("extended_attributes")
    return _text(attributes.get("service_request_id")) if isinstance(attributes, dict) else None


def _relations(extensions: dict, notes: list[dict]) -> tuple[str | None, str | None, list[str]]:
    """(duplicate_of, parent_id, follow-on children) from Chicago-style extensions and notes."""
    parent = _text(extensions.get("parent_service_request_id"))
    duplicate_of = _text(extensions.get("duplicate_of"))
    if _truthy(extensions.get("duplicate")) and parent:
        duplicate_of, parent = duplicate_of or parent, None
    children: list[str] = []
    for note in notes:
        kind, related = str(note.get("type") or "").lower(), _note_id(note)
        if not related:
            continue
        if "duplicate" in kind:
            duplicate_of = duplicate_of or related
        elif "parent" in kind:
            parent = parent or related
        elif kind == "follow_on_created" and related not in children:
            children.append(related)
    return duplicate_of, parent, children


def _closed_note_time(notes: list[dict], tz: tzinfo) -> datetime | None:
    times = [parse_datetime(n.get("datetime"), tz) for n in notes if str(n.get("type") or "").lower() == "closed"]
    times = [t for t in times if t is not None]
    return max(times) if times else None


def _coordinates(item: dict) -> tuple[float | None, float | None]:
    lat, lon = _number(item.get("lat")), _number(item.get("long"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None  # 0,0 is how several servers say "no location"
    return lat, lon


def _postal(extensions: dict, item: dict) -> tuple[str | None, str | None]:
    """(US ZIP, foreign postal code): letters mean a Canadian or British code, kept aside, not a bad ZIP."""
    raw = _text(extensions.get("zip")) or _text(item.get("zipcode"))
    if raw and re.search(r"[A-Za-z]", raw):
        return None, raw.upper()
    return clean_zip(raw), None


def _bounded(name: str, value: str | None) -> str | None:
    limit = _LIMITS[name]
    return value[:limit] if value and len(value) > limit else value


def _extra(item: dict, extensions: dict, children: list[str], postal: str | None) -> dict | None:
    extra: dict[str, Any] = {key: item[key] for key in _KEPT_FIELDS if item.get(key) is not None}
    unmapped = {k: v for k, v in extensions.items() if k not in _MAPPED_EXTENSIONS}
    if unmapped:
        extra["extended_attributes"] = unmapped
    if isinstance(item.get("attributes"), dict | list) and item["attributes"]:
        extra["attributes"] = item["attributes"]
    if children:
        extra["follow_on"] = children
    if postal:
        extra["postal_code"] = postal
    return extra or None


def to_record(item: dict, source: str, tz: tzinfo = UTC,
              service_name: Callable[[str | None], str | None] | None = None) -> RequestRecord:
    """The `RequestRecord` of a normalised, valid GeoReport v2 request; ImportError_ when it cannot be one.

    `service_name` looks a name up by service code when the request has none.

    >>> item = {"service_request_id": "14-1", "status": "closed", "service_code": "4f",
    ...         "requested_datetime": "2014-05-09T19:02:21-05:00", "updated_datetime": "2014-05-10T08:00:00-05:00",
    ...         "extended_attributes": {"channel": "phone", "ward": 21, "zip": "60620", "police": "6"}}
    >>> record = to_record(item, "open311:chicago")
    >>> record.channel.value, record.ward, record.zip, record.closed_at.isoformat(), record.extra
    ('phone', '21', '60620', '2014-05-10T13:00:00+00:00', {'extended_attributes': {'police': '6'}})
    """
    source_id = _text(item.get("service_request_id"))
    if source_id is None or len(source_id) > 80:
        raise ImportError_("service_request_id is missing or longer than 80 characters")
    extensions = item.get("extended_attributes") if isinstance(item.get("extended_attributes"), dict) else {}
    notes = _notes(item)
    status = status_of(_text(item.get("status")))
    updated = parse_datetime(item.get("updated_datetime"), tz)
    closed_at = (_closed_note_time(notes, tz) or updated) if status is RequestStatus.CLOSED else None
    duplicate_of, parent_id, children = _relations(extensions, notes)
    zip_code, postal = _postal(extensions, item)
    lat, lon = _coordinates(item)
    code = _text(item.get("service_code"))
    language = _text(item.get("language")) or _text(extensions.get("language"))
    record = RequestRecord(
        source=source, source_id=source_id, status=status,
        service_code=_bounded("service_code", code),
        service_name=_bounded("service_name", _text(item.get("service_name")) or (service_name and service_name(code))),
        agency=_bounded("agency", _text(item.get("agency_responsible"))),
        channel=channel_of(_text(extensions.get("channel"))),
        ward=_bounded("ward", _text(extensions.get("ward"))), zip=zip_code, latitude=lat, longitude=lon,
        language=normalize_language(language), status_notes=_text(item.get("status_notes")),
        requested_at=parse_datetime(item.get("requested_datetime"), tz), source_updated_at=updated,
        closed_at=closed_at, duplicate_of=_id_or_none(duplicate_of), parent_id=_id_or_none(parent_id),
        extra=_extra(item, extensions, children, postal),
    )
    record.check()
    return record


def _id_or_none(value: str | None) -> str | None:
    return value if value and len(value) <= 80 else None


def service_names(services: Iterable[Any]) -> dict[str, str]:
    """Service code -> name of a services list (normalised items; others skipped).

    >>> service_names([{"service_code": "001", "service_name": "Cans left out"}, "junk"])
    {'001': 'Cans left out'}
    """
    names: dict[str, str] = {}
    for item in services:
        if isinstance(item, dict) and _text(item.get("service_code")) and _text(item.get("service_name")):
            names[_text(item["service_code"])] = _text(item["service_name"])  # type: ignore[index]
    return names

"""The CSV formats `vocapp requests import` reads: LA, NYC, Boston, or a JSON column mapping.

Every format is a `Spec`: which CSV column holds which `RequestRecord` field,
how its timestamps are written and in which time zone naive ones are. The
built-in formats are specs too; ``--format csv --mapping MAP.json`` loads one
from a file (see `load_mapping` for its keys). The cell cleaners here turn one
CSV cell into a field's value or raise `RowRejected` saying why the row is
quarantined; `csv_parse.RowParser` applies them to a file's rows.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from vocapp.connectors.records import ImportError_, channel_of, clean_zip, status_of
from vocapp.models.request import Channel, RequestStatus

__all__ = ["Spec", "FORMATS", "FIELDS", "SpecError", "MissingColumns", "RowRejected", "Timestamps", "load_mapping",
           "service_code_of", "find_mojibake", "category_of", "cleaner", "text_cleaner", "zone", "TIMESTAMPS",
           "CONTACTS", "CONTACTISH"]

#: Record fields a mapping may name (the RequestRecord fields a CSV column can fill).
FIELDS = ("source_id", "status", "service_code", "service_name", "agency", "channel", "ward", "zip", "latitude",
          "longitude", "language", "status_notes", "requested_at", "source_updated_at", "closed_at", "duplicate_of",
          "parent_id", "contact_email", "contact_phone", "contact_preference")
TIMESTAMPS = ("requested_at", "source_updated_at", "closed_at")
CONTACTS = ("contact_email", "contact_phone")
#: Longest value per text field (the service_requests column sizes): longer ones are refused, not truncated.
_MAX_LENGTH = {"source_id": 80, "service_code": 120, "service_name": 200, "agency": 120, "ward": 60, "zip": 10,
               "language": 16, "duplicate_of": 80, "parent_id": 80, "contact_email": 254, "contact_phone": 32,
               "contact_preference": 10}
#: Header names that look like a resident's contact details: never copied into a quarantined row.
CONTACTISH = re.compile(r"e-?mail|phone|contact", re.IGNORECASE)
_MDY_12H = "%m/%d/%Y %I:%M:%S %p"


class SpecError(ValueError):
    """A mapping file that cannot be used; the message says what is wrong with it."""


class MissingColumns(ValueError):
    """The file's header lacks columns the format needs."""

    def __init__(self, missing: list[str], header: list[str]):
        self.missing = missing
        super().__init__(f"missing column(s) {', '.join(repr(c) for c in missing)}; the header has "
                         f"{', '.join(repr(c) for c in header[:40])}{' ...' if len(header) > 40 else ''}")


class RowRejected(ImportError_):
    """A row that is quarantined: a category for the report ("impossible ZIP code") and the detail."""

    def __init__(self, category: str, detail: str):
        self.category = category
        super().__init__(f"{category}: {detail}")


def category_of(reason: str) -> str:
    """The category a stored rejection reason starts with.

    >>> category_of("impossible ZIP code: ZipCode '99999'")
    'impossible ZIP code'
    """
    return reason.split(":", 1)[0]


@dataclass(frozen=True)
class Spec:
    """One CSV format: column names per field, timestamp format and zone, and the source name."""

    name: str
    #: The default `ServiceRequest.source` (--source overrides it).
    source: str | None
    #: Field -> column name, or several names of which the first present one is used.
    columns: Mapping[str, str | tuple[str, ...]]
    #: Fields whose column must be in the header.
    required: tuple[str, ...] = ("source_id",)
    #: strptime format of the timestamps; None reads ISO 8601.
    date_format: str | None = None
    #: IANA zone of naive timestamps; None means the app's TIMEZONE.
    timezone: str | None = None
    #: Put before every ward value ("CD " for LA's council district numbers).
    ward_prefix: str = ""
    #: extra key -> column: copied into `RequestRecord.extra` when non-empty.
    extra: Mapping[str, str] = field(default_factory=dict)
    #: Columns never copied into a quarantined row (names, addresses), besides the contact columns.
    private: tuple[str, ...] = ()
    #: Field delimiter; None sniffs it from the start of the file.
    delimiter: str | None = ","

    @property
    def kind(self) -> str:
        """The ImportRun.kind of imports in this format."""
        return "csv:mapping" if self.name == "csv" else f"csv:{self.name}"


LA = Spec(
    name="la", source="la", timezone="America/Los_Angeles", date_format=_MDY_12H, ward_prefix="CD ",
    columns={"source_id": "SRNumber", "requested_at": "CreatedDate", "source_updated_at": "UpdatedDate",
             "closed_at": "ClosedDate", "agency": "Owner", "service_name": "RequestType", "status": "Status",
             "channel": "RequestSource", "zip": "ZipCode", "ward": "CD", "latitude": "Latitude",
             "longitude": "Longitude"},
    required=("source_id", "requested_at", "closed_at", "status", "agency", "service_name"),
)
NYC = Spec(
    name="nyc", source="nyc", timezone="America/New_York", date_format=_MDY_12H,
    columns={"source_id": "Unique Key", "requested_at": "Created Date", "closed_at": "Closed Date",
             "source_updated_at": "Resolution Action Updated Date", "agency": "Agency",
             "service_name": "Complaint Type", "status": "Status", "status_notes": "Resolution Description",
             "zip": "Incident Zip", "channel": "Open Data Channel Type",
             # "City Council Districts" in the Open Data export is a Socrata region id, not the district
             # number; a real "Council District" column wins when present, else the community board.
             "ward": ("Council District", "Community Board"), "latitude": "Latitude", "longitude": "Longitude"},
    required=("source_id", "requested_at", "closed_at", "status", "agency", "service_name"),
    extra={"descriptor": "Descriptor"},
)
BOSTON = Spec(
    name="boston", source="boston", timezone="America/New_York",
    columns={"source_id": "case_enquiry_id", "requested_at": "open_dt", "closed_at": "closed_dt",
             "status": "case_status", "status_notes": "closure_reason", "service_name": "type",
             "agency": "department", "channel": "source", "ward": "ward", "zip": "location_zipcode",
             "latitude": "latitude", "longitude": "longitude"},
    required=("source_id", "requested_at", "closed_at", "status", "service_name"),
    extra={"subject": "subject", "queue": "queue"},
)
FORMATS: dict[str, Spec] = {spec.name: spec for spec in (LA, NYC, BOSTON)}


def load_mapping(path: Path) -> Spec:
    """The spec a JSON mapping file describes; SpecError says what is wrong with it.

    Keys: ``columns`` (required: our field -> CSV column, ``source_id`` among them; fields are those of
    `FIELDS`), and optionally ``source`` (default source name), ``date_format`` (strptime; default ISO
    8601), ``timezone`` (IANA name of naive timestamps; default the app's TIMEZONE), ``delimiter``
    (default: sniffed), ``extra`` (key -> column, kept in the request's extra) and ``private_columns``
    (columns never copied into quarantined rows, besides the contact columns).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SpecError(f"{path}: not a readable JSON file ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict):
        raise SpecError(f"{path}: needs an object with a \"columns\" object (field -> CSV column)")
    unknown = sorted(set(data) - {"columns", "source", "date_format", "timezone", "delimiter", "extra",
                                  "private_columns"})
    if unknown:
        raise SpecError(f"{path}: unknown key(s) {', '.join(unknown)}")
    columns = data["columns"]
    bad = sorted(set(columns) - set(FIELDS))
    if bad:
        raise SpecError(f"{path}: unknown field(s) {', '.join(bad)}; fields are {', '.join(FIELDS)}")
    if "source_id" not in columns:
        raise SpecError(f"{path}: \"columns\" must map source_id (the request's id column)")
    for name, column in columns.items():
        if not (isinstance(column, str) and column) and not (
                isinstance(column, list) and column and all(isinstance(c, str) and c for c in column)):
            raise SpecError(f"{path}: column of {name} must be a column name or a list of them")
    extra = data.get("extra") or {}
    private = data.get("private_columns") or []
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise SpecError(f"{path}: \"extra\" must map keys to column names")
    if not isinstance(private, list) or not all(isinstance(v, str) for v in private):
        raise SpecError(f"{path}: \"private_columns\" must be a list of column names")
    delimiter = data.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise SpecError(f"{path}: \"delimiter\" must be one character")
    if data.get("timezone"):
        zone(data["timezone"], path)
    date_format = data.get("date_format")
    if date_format is not None and (not isinstance(date_format, str) or "%" not in date_format):
        raise SpecError(f"{path}: \"date_format\" must be a strptime format such as \"%m/%d/%Y %H:%M\"")
    return Spec(name="csv", source=data.get("source"), date_format=date_format, timezone=data.get("timezone"),
                columns={k: tuple(v) if isinstance(v, list) else v for k, v in columns.items()},
                required=tuple(columns), extra=extra, private=tuple(private), delimiter=delimiter)


def zone(name: str, where: object = "TIMEZONE") -> tzinfo:
    """The IANA zone `name`; SpecError (saying where it was named) when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SpecError(f"{where}: unknown time zone {name!r}") from exc


# --- values -------------------------------------------------------------------------------------

_CODE_CHARS = re.compile(r"[^0-9A-Za-z]+")
_codes: dict[str, str] = {}


def service_code_of(name: str) -> str:
    """A stable code for a service name: its words in upper snake case.

    >>> service_code_of("Metal/Household Appliances")
    'METAL_HOUSEHOLD_APPLIANCES'
    """
    code = _codes.get(name)
    if code is None:
        code = _CODE_CHARS.sub("_", name).strip("_").upper()[:120] or "UNKNOWN"
        if len(_codes) < 10_000:
            _codes[name] = code
    return code


#: UTF-8 read as Latin-1 or cp1252: C1 controls, and the lead bytes of 2- and 3-byte sequences
#: (Ã, Â, â) followed by what a continuation byte looks like in those code pages.
_MOJIBAKE = re.compile("[\u0080-\u009f]|[\u00c2\u00c3][\u00a0-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d"
                       "\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039"
                       "\u203a\u20ac\u2122]|\u00e2[\u20ac\u0080-\u00bf]")


def find_mojibake(text: str) -> str | None:
    r"""The stretch of `text` that shows UTF-8 misread as Latin-1/cp1252, or None when it looks clean.

    >>> find_mojibake("Transportation\u00e2\u0080\u0099s website")
    'ationâ\x80\x99s w'
    >>> find_mojibake("caf\u00c3\u00a9"), find_mojibake("Señor José, 10 °C")
    ('cafÃ©', None)
    """
    if text.isascii():
        return None
    match = _MOJIBAKE.search(text)
    if match is None:
        return None
    return text[max(0, match.start() - 5):match.end() + 4]


class Timestamps:
    """Timestamp strings of one format and zone -> aware UTC datetimes."""

    def __init__(self, date_format: str | None, zone: tzinfo):
        self._format = date_format
        self._zone = zone
        self._slice = date_format == _MDY_12H

    def __call__(self, text: str) -> datetime:
        """Parse `text`, raising ValueError when it is not a timestamp in this format."""
        return self._parse(text)

    def _parse(self, text: str) -> datetime:
        if self._slice and len(text) == 22 and text[2] == text[5] == "/" and text[13] == text[16] == ":":
            # "12/31/2017 11:59:58 PM": slicing is several times faster than strptime.
            hour = int(text[11:13])
            meridiem = text[20:]
            if not 1 <= hour <= 12 or meridiem not in ("AM", "PM"):
                raise ValueError(text)
            hour = hour % 12 + (12 if meridiem == "PM" else 0)
            value = datetime(int(text[6:10]), int(text[0:2]), int(text[3:5]), hour, int(text[14:16]),
                             int(text[17:19]))
        elif self._format:
            value = datetime.strptime(text, self._format)
        else:
            value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=self._zone)
        return value.astimezone(UTC)


# --- cells -------------------------------------------------------------------------------------


def text_cleaner(name: str, column: str | None) -> Callable[[str], str | None]:
    """Stripped text, None when blank; RowRejected for mojibake and values too long for their column."""
    limit = _MAX_LENGTH.get(name)
    label = column or name

    def clean(raw: str) -> str | None:
        value = raw.strip()
        if not value:
            return None
        if not value.isascii():
            bad = find_mojibake(value)
            if bad:
                raise RowRejected("mojibake", f"{label} has {bad!r} (UTF-8 misread as Latin-1/cp1252)")
        if limit and len(value) > limit:
            raise RowRejected("value too long", f"{label} has {len(value)} characters (at most {limit})")
        return value

    def many(cells: Sequence[str]) -> list[str | None]:
        # A column of ids: stripped in C, and checked at once when every cell is plain (the usual case).
        values = list(map(str.strip, cells))
        if "" not in values and "".join(values).isascii() and not (limit and max(map(len, values)) > limit):
            return values
        return list(map(clean, cells))

    clean.many = many  # type: ignore[attr-defined]
    return clean


def cleaner(name: str, column: str, spec: Spec, timestamps: Timestamps) -> Callable[[str], object]:
    """The function turning one field's raw cell into its RequestRecord value (None for blank).

    It raises RowRejected for a value that cannot be stored; its result depends on the cell alone,
    so callers may remember it per distinct cell.
    """
    text = text_cleaner(name, column)
    if name in TIMESTAMPS:
        def stamp(raw: str) -> datetime | None:
            value = raw.strip()
            if not value:
                return None
            try:
                return timestamps(value)
            except (ValueError, OverflowError):
                raise RowRejected("unparseable date", f"{column} {value!r}") from None
        return stamp
    if name == "zip":
        def zip_code(raw: str) -> str | None:
            try:
                return clean_zip(raw)
            except ImportError_:
                raise RowRejected("impossible ZIP code", f"{column} {raw.strip()!r}") from None
        return zip_code
    if name in ("latitude", "longitude"):
        bound = 90.0 if name == "latitude" else 180.0

        def coordinate(raw: str) -> float | None:
            value = raw.strip()
            if not value:
                return None
            try:
                number = float(value)
            except ValueError:
                raise RowRejected("bad coordinates", f"{column} {value!r}") from None
            if not (math.isfinite(number) and -bound <= number <= bound):
                raise RowRejected("bad coordinates", f"{column} {value!r}")
            return number
        return coordinate
    if name in ("status", "channel"):
        vocabulary = status_of if name == "status" else channel_of

        def coded(raw: str) -> RequestStatus | Channel | None:
            value = text(raw)
            return None if value is None else vocabulary(value)
        return coded
    if name == "ward":
        def ward(raw: str) -> str | None:
            value = text(raw)
            if value is None or "unspecified" in value.lower():  # NYC's "0 Unspecified" community board
                return None
            value = spec.ward_prefix + value
            if len(value) > _MAX_LENGTH["ward"]:
                raise RowRejected("value too long", f"{column} has {len(value)} characters (at most "
                                                    f"{_MAX_LENGTH['ward'] - len(spec.ward_prefix)})")
            return value
        return ward
    return text

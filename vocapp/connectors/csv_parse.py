"""A format bound to one file's header: rows of CSV cells -> checked RequestRecords, or quarantined rows.

Rows are parsed a chunk at a time, column by column: a column's cells repeat
(statuses, agencies, service names, ZIPs, timestamps), so each distinct cell
is cleaned once and the column is mapped through a dict in C. That is what
lets one core keep up with SQLite on a million-row import. A row keeps the
first problem found, in the order of the spec's fields, then a missing id,
then the extra columns, then "closed before requested".
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Callable, Sequence

from vocapp.connectors.csv_formats import (
    CONTACTISH,
    CONTACTS,
    TIMESTAMPS,
    MissingColumns,
    RowRejected,
    Spec,
    Timestamps,
    cleaner,
    service_code_of,
    text_cleaner,
    zone,
)
from vocapp.connectors.records import RejectedRecord, RequestRecord
from vocapp.models.request import Channel, RequestStatus

__all__ = ["RowParser", "Parsed"]

#: Fields whose cleaned cells are not remembered between chunks (distinct per row, or personal).
_UNCACHED = frozenset({"source_id", "contact_email", "contact_phone", "duplicate_of", "parent_id"})
#: Distinct cells remembered per field, at most (a year of distinct timestamps must not fill memory).
_CACHE_SIZE = 100_000
#: RequestRecord's fields in constructor order, with their defaults.
_RECORD_FIELDS = [(f.name, f.default if f.default is not dataclasses.MISSING else None)
                  for f in dataclasses.fields(RequestRecord)]
_DEFAULTS = dict(_RECORD_FIELDS)


@dataclasses.dataclass
class Parsed:
    """Records held column by column: field name -> one value per record; a field not read is absent.

    What a CSV chunk parses into. The SQLite writer prepares its statement from the
    columns without ever making a record (see csv_store); `records()` makes them.
    """

    columns: dict[str, list]
    count: int

    def column(self, name: str) -> Sequence:
        """The values of field `name`, its default for every record when it was not read."""
        found = self.columns.get(name)
        return found if found is not None else (_DEFAULTS[name],) * self.count

    def records(self) -> list[RequestRecord]:
        """The RequestRecords, in order."""
        if not self.count:
            return []
        return list(map(RequestRecord, *[self.column(name) for name, _ in _RECORD_FIELDS]))

    @classmethod
    def of(cls, records: Sequence[RequestRecord]) -> Parsed:
        """The columns of `records`."""
        return cls({name: [getattr(r, name) for r in records] for name, _ in _RECORD_FIELDS}, len(records))


@dataclasses.dataclass
class _Field:
    """One field read from one column: how to clean a cell, and the cells already cleaned."""

    name: str
    column: str
    index: int
    clean: Callable[[str], object]
    cache: dict[str, object] | None

    def __post_init__(self) -> None:
        #: Cleans a whole column at once, where the cleaner can (`text_cleaner`'s `many`).
        self.many: Callable[[Sequence[str]], list] | None = getattr(self.clean, "many", None)

    def apply(self, cells: Sequence[str], errors: dict[int, RowRejected]) -> list:
        """The field's values for a column of cells; a row with a bad cell gets None and its first error."""
        cache, clean = self.cache, self.clean
        if cache is None:
            try:
                return self.many(cells) if self.many else list(map(clean, cells))
            except RowRejected:
                return [_guarded(clean, cell, j, errors) for j, cell in enumerate(cells)]
        try:  # most chunks have no cell their column has not seen
            return list(map(cache.__getitem__, cells))
        except KeyError:
            pass
        if len(cache) > _CACHE_SIZE:
            cache.clear()
        bad: dict[str, RowRejected] = {}
        for cell in {cell for cell in set(cells) if cell not in cache}:
            try:
                cache[cell] = clean(cell)
            except RowRejected as exc:
                bad[cell] = exc
        if not bad:
            return list(map(cache.__getitem__, cells))
        for j, cell in enumerate(cells):
            if cell in bad:
                errors.setdefault(j, bad[cell])
        return [cache.get(cell) for cell in cells]


def _guarded(clean: Callable[[str], object], cell: str, j: int, errors: dict[int, RowRejected]) -> object:
    try:
        return clean(cell)
    except RowRejected as exc:
        errors.setdefault(j, exc)
        return None


def _column(spec_column: str | tuple[str, ...], positions: dict[str, int]) -> tuple[str, int] | None:
    for name in (spec_column,) if isinstance(spec_column, str) else spec_column:
        if name in positions:
            return name, positions[name]
    return None


class RowParser:
    """A spec bound to one file's header: rows (lists of cells) -> checked RequestRecords and rejects."""

    def __init__(self, spec: Spec, header: list[str], source: str, default_zone: str):
        positions: dict[str, int] = {}
        for i, name in enumerate(header):
            positions.setdefault(name.strip(), i)
        self.spec, self.header, self.source, self.width = spec, header, source, len(header)
        where: dict[str, tuple[str, int]] = {}
        missing = []
        for name, column in spec.columns.items():
            found = _column(column, positions)
            if found:
                where[name] = found
            elif name in spec.required:
                missing.append(column if isinstance(column, str) else " or ".join(column))
        if missing:
            raise MissingColumns(missing, header)
        self._where = where
        timestamps = Timestamps(spec.date_format, zone(spec.timezone or default_zone))
        stamps: dict[str, object] = {}  # the timestamp columns share one cache: closed often equals updated
        self._fields = [_Field(name, column, i, cleaner(name, column, spec, timestamps),
                               None if name in _UNCACHED else stamps if name in TIMESTAMPS else {})
                        for name, (column, i) in where.items()]
        self._extra = [_Field(key, col, positions[col], text_cleaner(key, col), {})
                       for key, col in spec.extra.items() if col in positions]
        hidden = ({where[f][0] for f in CONTACTS if f in where} | set(spec.private)
                  | {h for h in header if CONTACTISH.search(h)})
        self._shown = [(name, i) for i, name in enumerate(header) if name not in hidden and name.strip() not in hidden]
        self._id = where["source_id"][1]
        self._read = sorted({field.index for field in self._fields + self._extra})
        only = self._read[0]
        # itemgetter of one index returns the cell itself, not a 1-tuple.
        self._pick: Callable[[list[str]], tuple[str, ...]] = (
            operator.itemgetter(*self._read) if len(self._read) > 1 else lambda row: (row[only],))

    def source_id(self, row: list[str]) -> str | None:
        """The row's request id when it has a readable one (for quarantined rows)."""
        value = row[self._id].strip() if self._id < len(row) else ""
        return value[:80] or None

    def raw(self, row: list[str]) -> str:
        """The row as JSON (header -> cell) without its contact and private columns."""
        shown = {name: row[i] for name, i in self._shown if i < len(row)}
        if len(row) > self.width:
            shown["(extra fields)"] = row[self.width:]
        return json.dumps(shown, ensure_ascii=False)[:20_000]

    def reject(self, row: list[str], line: int, exc: RowRejected) -> RejectedRecord:
        """The quarantined form of a row."""
        return RejectedRecord(line, str(exc), self.source_id(row), self.raw(row))

    def parse_rows(self, rows: list[list[str]], lines: list[int]) -> tuple[list[RequestRecord],
                                                                           list[RejectedRecord]]:
        """The records of `rows` (in order) and the rejects of those quarantined; `lines` are their line numbers."""
        parsed, rejects = self.parse_columns(rows, lines)
        return parsed.records(), rejects

    def parse_columns(self, rows: list[list[str]], lines: list[int]) -> tuple[Parsed, list[RejectedRecord]]:
        """`parse_rows`, with the records kept as columns (a chunk of a big file never becomes objects)."""
        rejects: list[RejectedRecord] = []
        width = self.width
        if rows and (min(map(len, rows)) != width or max(map(len, rows)) != width):
            malformed = [j for j, row in enumerate(rows) if len(row) != width]
            rejects += [self.reject(rows[j], lines[j], RowRejected(
                "malformed row", f"{len(rows[j])} fields where the header has {width}")) for j in malformed]
            skip = set(malformed)
            rows = [row for j, row in enumerate(rows) if j not in skip]
            lines = [line for j, line in enumerate(lines) if j not in skip]
        if not rows:
            return Parsed({}, 0), rejects
        count = len(rows)
        # The columns the spec reads, one tuple each (an export has two or three times as many).
        cells = dict(zip(self._read, zip(*map(self._pick, rows), strict=True), strict=True))
        errors: dict[int, RowRejected] = {}
        values = {field.name: field.apply(cells[field.index], errors) for field in self._fields}
        self._complete(values, count, errors)
        if self._extra:
            values["extra"] = self._extras(cells, count, errors)
        self._check(values, rows, errors)
        if not errors:
            return Parsed(values, count), rejects
        rejects += [self.reject(rows[j], lines[j], exc) for j, exc in sorted(errors.items())]
        kept = [j for j in range(count) if j not in errors]
        return Parsed({name: [column[j] for j in kept] for name, column in values.items()}, len(kept)), rejects

    def _check(self, values: dict[str, list], rows: list[list[str]], errors: dict[int, RowRejected]) -> None:
        """RequestRecord.check over the columns: a request cannot be closed before it was requested."""
        closed, requested = values.get("closed_at"), values.get("requested_at")
        if closed is None or requested is None:
            return
        (closed_column, i), (requested_column, k) = self._where["closed_at"], self._where["requested_at"]
        for j in [j for j, (end, start) in enumerate(zip(closed, requested, strict=True))
                  if end is not None and start is not None and end < start]:
            errors.setdefault(j, RowRejected("closed before requested", f"{closed_column} {rows[j][i].strip()!r} "
                                                                        f"is before {requested_column} "
                                                                        f"{rows[j][k].strip()!r}"))

    def _complete(self, values: dict[str, list], count: int, errors: dict[int, RowRejected]) -> None:
        """Fill in what follows from the cells: missing ids, default statuses and channels, codes, positions."""
        ids = values["source_id"]
        if not all(ids):
            column = self._where["source_id"][0]
            for j, value in enumerate(ids):
                if not value:
                    errors.setdefault(j, RowRejected("missing request id", f"{column} is empty"))
        values["source"] = [self.source] * count
        status, closed = values.get("status"), values.get("closed_at")
        if status is None or None in status:  # no status column, or blank cells: closed when it has a close time
            closed = closed or [None] * count
            values["status"] = [value if value is not None else
                                RequestStatus.CLOSED if closed[j] is not None else RequestStatus.OPEN
                                for j, value in enumerate(status or [None] * count)]
        channel = values.get("channel")
        if channel is not None and None in channel:
            values["channel"] = [Channel.OTHER if value is None else value for value in channel]
        if "service_code" not in self._where and "service_name" in values:
            codes: dict[str | None, str | None] = {None: None}
            names = values["service_name"]
            for name in set(names) - codes.keys():
                codes[name] = service_code_of(name)
            values["service_code"] = list(map(codes.__getitem__, names))
        latitude, longitude = values.get("latitude"), values.get("longitude")
        if (latitude is None) != (longitude is None):  # half a position is no position
            values.pop("latitude", None)
            values.pop("longitude", None)
        elif latitude is not None:
            for j, (lat, lon) in enumerate(zip(latitude, longitude, strict=True)):
                # Half a position, or (0, 0): a placeholder, not a place.
                if (lat is None) != (lon is None) or lat == lon == 0:
                    latitude[j] = longitude[j] = None

    def _extras(self, cells: dict[int, tuple[str, ...]], count: int, errors: dict[int, RowRejected]) -> list:
        """Each row's extra dict (None when all its extra cells are blank)."""
        columns = [(field.name, field.apply(cells[field.index], errors)) for field in self._extra]
        extras: list[dict | None] = []
        for j in range(count):
            extra = {key: column[j] for key, column in columns if column[j] is not None}
            extras.append(extra or None)
        return extras

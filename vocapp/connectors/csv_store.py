"""Storing an import's requests: the upsert of `vocapp.services.requests`, fast on SQLite.

`BatchWriter` stores exactly what `vocapp.services.requests.upsert` does (the
values of `row_values` and the same ON CONFLICT clause). On SQLite it works on
a chunk's columns (`csv_parse.Parsed`) and skips SQLAlchemy's per-row parameter
handling: it derives the row values column by column, applies the columns' own
bind processors and hands the rows to the driver's executemany, which is what a
million-row import spends its time on. The rows go to a staging table first and
into service_requests with one INSERT ... SELECT per batch (`flush`): a
single-row upsert costs SQLite several times what a row of a bulk one does.
On other databases it calls `upsert`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection, delete, insert, literal_column, select, true
from sqlalchemy.sql import column as untyped_column
from sqlalchemy.sql import table as untyped_table

from vocapp.connectors.csv_parse import Parsed
from vocapp.connectors.records import RequestRecord
from vocapp.db import UTCDateTime, utcnow
from vocapp.models.request import Channel, RequestStatus, ServiceRequest
from vocapp.services import requests as request_service
from vocapp.services.requests import Contacts, DepartmentMap, contact_values, row_values

__all__ = ["BatchWriter", "Prepared"]

_COLUMNS = ServiceRequest.__table__.c
#: Row values `row_values` derives rather than copies from the record (see `BatchWriter._row_columns`).
_DERIVED = frozenset({"department_id", "channel", "status", "reopened", "contact_email", "contact_phone",
                      "contact_hash", "first_seen_at", "last_seen_at"})
#: Processed values remembered per column, at most.
_CACHE_SIZE = 100_000
#: The connection's own (TEMP) table the rows of a batch wait in: the requests table's columns without
#: types, so SQLite keeps the values as bound (applying the column affinities once, when they move).
_STAGE = untyped_table("service_requests_stage", *(untyped_column(c.name) for c in _COLUMNS if c.name != "id"))
_CREATE_STAGE = f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE.name} ({', '.join(_STAGE.c.keys())})"


class Prepared(NamedTuple):
    """Rows ready to store: the staging INSERT and its parameters, or None and the records for `upsert`."""

    sql: str | None
    rows: list


def _literal(value: object) -> str | None:
    """`value` as an SQLite literal, or None when it is better left a parameter."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is str and "\0" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None  # floats stay parameters: SQLite's text-to-double rounding need not match Python's


class BatchWriter:
    """Upserts batches of records on one connection, like `services.requests.upsert`.

    `prepare` turns records into the staging statement's parameters (it may run in
    another process, see csv_batches); `execute` stages them on the connection;
    `flush` stores what is staged (before each commit); `write` does all three.
    `close` drops the staging table.
    """

    def __init__(self, conn: Connection, departments: DepartmentMap, contacts: Contacts,
                 now: datetime | None = None):
        self.conn, self.departments, self.contacts = conn, departments, contacts
        #: The first_seen_at/last_seen_at of what this writer stores (the import's start, by default):
        #: one value, so every chunk's statement is the same text and SQLite prepares it once.
        self.now = now or utcnow()
        self.dialect = conn.dialect
        self.fast = self.dialect.name == "sqlite"
        if self.fast:
            self._compile()

    def _compile(self) -> None:
        dialect, conn = self.dialect, self.conn
        sample = row_values(RequestRecord(source="", source_id="", status=RequestStatus.OPEN), None, self.contacts,
                            utcnow())
        keys = list(sample)
        missing = {key for key in keys if key not in _DERIVED} - set(Parsed.of([]).columns)
        if missing:
            raise RuntimeError(f"row_values has values BatchWriter does not derive: {sorted(missing)}")
        compiled = insert(_STAGE).compile(dialect=dialect, column_keys=keys)
        if list(compiled.positiontup) != keys:
            raise RuntimeError("unexpected parameters in the compiled staging insert")
        self._keys = keys
        self._sql = str(compiled)
        self._pieces = self._sql.split("?")
        #: (position, bind processor, the values it processed): timestamps, enums and flags repeat, so
        #: each distinct value is processed once and a column is mapped through the dict in C.
        self._processors = []
        for i, name in enumerate(keys):
            process = _COLUMNS[name].type.dialect_impl(dialect).bind_processor(dialect)
            if process:
                self._processors.append((i, process, {} if self._repeats(name) else None))
        # Staged rows move in the order they were read: a request twice in a batch ends as its last row.
        staged = select(*(_STAGE.c[key] for key in keys)).where(true()).order_by(literal_column("rowid"))
        self._move = request_service._statement(dialect.name, staged)
        self._staged = 0
        conn.exec_driver_sql(_CREATE_STAGE)
        conn.execute(delete(_STAGE))

    @staticmethod
    def _repeats(name: str) -> bool:
        return isinstance(_COLUMNS[name].type, UTCDateTime) or name in ("channel", "status", "reopened")

    def prepare(self, parsed: Parsed) -> Prepared:
        """The statement and parameters for the records `parsed` holds: their row values, bind-processed."""
        if not self.fast:
            return Prepared(None, parsed.records())  # `upsert` itself stores them
        count = parsed.count
        if not count:
            return Prepared(self._sql, [])
        columns = self._row_columns(parsed)
        for i, process, done in self._processors:
            column = columns[i]
            if done is None:
                # A column with nothing in it (no extras, say) is processed once.
                columns[i] = ((process(None),) * count if column[0] is None and column.count(None) == count
                              else tuple(map(process, column)))
                continue
            if len(done) > _CACHE_SIZE:
                done.clear()
            for value in [value for value in set(column) if value not in done]:
                done[value] = process(value)
            columns[i] = tuple(map(done.__getitem__, column))
        return self._fold(columns, count)

    def _row_columns(self, parsed: Parsed) -> list[Sequence]:
        """`row_values` of every record, as one column per value in the statement's order.

        Computed per distinct value where a column repeats (agency, channel, status), and
        per record only for contact details, which most exports do not have.
        """
        count, column, now = parsed.count, parsed.column, self.now
        channels = {value: (value or Channel.OTHER).value for value in set(column("channel"))}
        statuses = {value: value.value for value in set(column("status"))}
        derived: dict[str, Sequence] = {
            "department_id": self.departments.column(column("agency")),
            "channel": list(map(channels.__getitem__, column("channel"))),
            "status": list(map(statuses.__getitem__, column("status"))),
            "reopened": (False,) * count,
            "first_seen_at": (now,) * count,
            "last_seen_at": (now,) * count,
        }
        emails, phones = column("contact_email"), column("contact_phone")
        if any(emails) or any(phones):
            values = [contact_values(email, phone, closed, self.contacts, now)
                      for email, phone, closed in zip(emails, phones, column("closed_at"), strict=True)]
            derived["contact_email"], derived["contact_phone"], derived["contact_hash"] = zip(*values, strict=True)
        else:  # blank or absent details normalise to nothing, and nothing has no hash
            derived["contact_email"] = derived["contact_phone"] = derived["contact_hash"] = (None,) * count
        return [derived[key] if key in derived else column(key) for key in self._keys]

    def _fold(self, columns: list[tuple], count: int) -> Prepared:
        """The chunk's staging statement, with its constant columns (source, now, the many NULLs...) as literals.

        Binding a parameter costs the sqlite3 module more than SQLite spends storing it, and a CSV
        chunk has a dozen columns with one value throughout: written into the statement, they are
        not bound for every row. The values stored, and the statement's meaning, are the same.
        """
        sql, varying = [self._pieces[0]], []
        for i, column in enumerate(columns):
            literal = _literal(column[0]) if count > 1 and column.count(column[0]) == count else None
            if literal is None:
                varying.append(column)
                sql.append("?")
            else:
                sql.append(literal)
            sql.append(self._pieces[i + 1])
        return Prepared("".join(sql), list(zip(*varying, strict=True)) if varying else [()] * count)

    def execute(self, prepared: Prepared) -> int:
        """Stage a prepared chunk (SQLite) or store it; the caller flushes, then commits. Returns its rows."""
        if not prepared.rows:
            return 0
        if prepared.sql is None:
            return request_service.upsert(self.conn, prepared.rows, self.departments, self.contacts, self.now)
        self.conn.exec_driver_sql(prepared.sql, prepared.rows)
        self._staged += len(prepared.rows)
        return len(prepared.rows)

    def flush(self) -> None:
        """Store the staged rows in service_requests (one INSERT ... SELECT ... ON CONFLICT) and empty the stage."""
        if self.fast and self._staged:
            self.conn.execute(self._move)
            self.conn.execute(delete(_STAGE))
            self._staged = 0

    def write(self, records: Sequence[RequestRecord]) -> int:
        """Insert or update `records`; the caller commits. Returns how many there were."""
        count = self.execute(self.prepare(Parsed.of(records)))
        self.flush()
        return count

    def close(self) -> None:
        """Drop the staging table (committed; the connection goes back to the pool without it)."""
        if self.fast:
            self.conn.rollback()
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{_STAGE.name}")
            self.conn.commit()

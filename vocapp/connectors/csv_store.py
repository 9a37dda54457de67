"""Storing an import's requests: the upsert of `vocapp.services.requests`, fast on SQLite.

`BatchWriter` stores exactly what `vocapp.services.requests.upsert` does (the
same `row_values` and the same compiled ON CONFLICT statement). On SQLite it
skips SQLAlchemy's per-row parameter handling: it applies the columns' own bind
processors to tuples and hands them to the driver's executemany, which is what
a million-row import spends its time on. On other databases it calls `upsert`.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Connection

from vocapp.connectors.records import RequestRecord
from vocapp.db import UTCDateTime, utcnow
from vocapp.models.request import RequestStatus, ServiceRequest
from vocapp.services import requests as request_service
from vocapp.services.requests import Contacts, DepartmentMap, row_values

__all__ = ["BatchWriter", "Prepared"]

_COLUMNS = ServiceRequest.__table__.c
#: Processed values remembered per column, at most.
_CACHE_SIZE = 100_000


class Prepared(NamedTuple):
    """A batch ready to execute: the statement and its parameters, or None and the records for `upsert`."""

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

    `prepare` turns records into the statement's parameters (it may run in another
    process, see csv_batches); `execute` stores them on the connection; `write` does both.
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
        dialect = self.dialect
        sample = row_values(RequestRecord(source="", source_id="", status=RequestStatus.OPEN), None, self.contacts,
                            utcnow())
        keys = list(sample)
        compiled = request_service._statement(dialect.name).compile(dialect=dialect, column_keys=keys)
        names = list(compiled.positiontup)
        sql = str(compiled)
        # The row values come first, then the literals of the ON CONFLICT clause (the same in every row).
        if names[:len(keys)] != keys or sql.count("?") != len(names):
            raise RuntimeError("unexpected parameters in the compiled upsert")
        constants = compiled.construct_params(sample)
        processors = [compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
        self._sql = sql
        self._pieces = sql.split("?")
        self._getter = operator.itemgetter(*keys)
        self._tail = tuple(process(constants[name]) if process else constants[name]
                           for name, process in zip(names[len(keys):], processors[len(keys):], strict=True))
        #: (position, bind processor, the values it processed): timestamps, enums and flags repeat, so
        #: each distinct value is processed once and a column is mapped through the dict in C.
        self._processors = [(i, process, {} if self._repeats(names[i]) else None)
                            for i, process in enumerate(processors[:len(keys)]) if process]

    @staticmethod
    def _repeats(name: str) -> bool:
        return isinstance(_COLUMNS[name].type, UTCDateTime) or name in ("channel", "status", "reopened")

    def prepare(self, records: Sequence[RequestRecord]) -> Prepared:
        """The statement and parameters for `records`: row_values, then the columns' bind processing."""
        departments, contacts, now = self.departments, self.contacts, self.now
        if not self.fast:
            return Prepared(None, list(records))  # `upsert` itself stores them
        getter = self._getter
        rows = [getter(row_values(r, departments(r.agency), contacts, now)) for r in records]
        if not rows:
            return Prepared(self._sql, [])
        columns = list(zip(*rows, strict=True))
        for i, process, done in self._processors:
            column = columns[i]
            if done is None:
                columns[i] = tuple(map(process, column))
                continue
            if len(done) > _CACHE_SIZE:
                done.clear()
            for value in [value for value in set(column) if value not in done]:
                done[value] = process(value)
            columns[i] = tuple(map(done.__getitem__, column))
        columns.extend((value,) * len(rows) for value in self._tail)
        return self._fold(columns, len(rows))

    def _fold(self, columns: list[tuple], count: int) -> Prepared:
        """The batch's statement, with its constant columns (source, now, the many NULLs...) as literals.

        Binding a parameter costs the sqlite3 module more than SQLite spends storing it, and a CSV
        batch has a dozen columns with one value throughout: written into the statement, they are
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
        """Store a prepared batch; the caller commits. Returns how many rows it had."""
        if not prepared.rows:
            return 0
        if prepared.sql is None:
            return request_service.upsert(self.conn, prepared.rows, self.departments, self.contacts, self.now)
        self.conn.exec_driver_sql(prepared.sql, prepared.rows)
        return len(prepared.rows)

    def write(self, records: Sequence[RequestRecord]) -> int:
        """Insert or update `records`; the caller commits. Returns how many there were."""
        return self.execute(self.prepare(records))

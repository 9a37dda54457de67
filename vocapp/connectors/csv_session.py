"""The import's own connection: its ImportRun row (counts, resume point), settings, lock, quarantine."""

from __future__ import annotations

import fcntl
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy import Connection, func, insert, select, text, update
from sqlalchemy.schema import CreateIndex, DropIndex

from vocapp.connectors.records import RejectedRecord
from vocapp.db import utcnow
from vocapp.models.department import Department
from vocapp.models.request import ImportRun, RejectedRow, ServiceRequest
from vocapp.writelock import lock_path

__all__ = ["store_rejects", "start_run", "resumable_run", "checkpoint", "finish_run", "count_requests",
           "tune_connection", "restore_connection", "department_ids", "check_departments", "import_lock",
           "ImportBusy", "DepartmentsChanged", "defer_indexes", "restore_indexes", "worth_deferring"]

_RUNS = ImportRun.__table__
_REJECTS = RejectedRow.__table__


def store_rejects(conn: Connection, run_id: int, rejects: Sequence[RejectedRecord]) -> None:
    """Quarantine rows of a run (one executemany)."""
    if rejects:
        conn.execute(insert(_REJECTS), [{"run_id": run_id, "line": r.line, "source_id": r.source_id,
                                         "reason": r.reason[:300], "raw": r.raw} for r in rejects])


def start_run(conn: Connection, kind: str, target: str, fingerprint: str) -> int:
    """A new ImportRun, running from the start; returns its id."""
    now = utcnow()
    result = conn.execute(insert(_RUNS).values(kind=kind, target=target[:1000], fingerprint=fingerprint,
                                               status="running", started_at=now, rows_read=0, rows_stored=0,
                                               rows_rejected=0, resume_offset=0, resume_line=0))
    return result.inserted_primary_key[0]


def resumable_run(conn: Connection, kind: str, fingerprint: str):
    """The newest unfinished run of this file in this format, if any (a row of import_runs)."""
    return conn.execute(select(_RUNS).where(_RUNS.c.kind == kind, _RUNS.c.fingerprint == fingerprint,
                                            _RUNS.c.status.in_(("running", "failed")))
                        .order_by(_RUNS.c.id.desc()).limit(1)).first()


def checkpoint(conn: Connection, run_id: int, *, read: int, stored: int, rejected: int, offset: int,
               line: int) -> None:
    """Add a batch's counts to the run and move its resume point past the batch (same transaction)."""
    conn.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(
        rows_read=_RUNS.c.rows_read + read, rows_stored=_RUNS.c.rows_stored + stored,
        rows_rejected=_RUNS.c.rows_rejected + rejected, resume_offset=offset, resume_line=line, status="running",
        error=None))


def finish_run(conn: Connection, run_id: int, status: str, error: str | None = None) -> None:
    """Mark the run done or failed (with why)."""
    conn.execute(update(_RUNS).where(_RUNS.c.id == run_id).values(status=status, error=error,
                                                                  finished_at=utcnow()))


def count_requests(conn: Connection, source: str) -> int:
    """How many requests of `source` are stored (for the new/updated split of the report)."""
    table = ServiceRequest.__table__
    return conn.execute(select(func.count()).select_from(table).where(table.c.source == source)).scalar_one()


#: SQLite settings of the import's own connection (put back when it is done with it):
#: * a page cache of 256 MB, so the indexes of a big table stay in memory between batches;
#: * no foreign-key enforcement: SQLite then looks for child rows (invitations) of every
#:   request it inserts, 6 s of a million-row import. The one foreign key the import
#:   writes, department_id, is checked at each commit instead (`check_departments`).
_PRAGMAS = {"cache_size": -262144, "foreign_keys": 0, "temp_store": 2}


def tune_connection(conn: Connection) -> dict[str, object]:
    """Apply the import's SQLite settings to its connection (outside a transaction); returns the old values."""
    if conn.dialect.name != "sqlite":
        return {}
    saved = {}
    for name, value in _PRAGMAS.items():
        saved[name] = conn.exec_driver_sql(f"PRAGMA {name}").scalar()
        conn.exec_driver_sql(f"PRAGMA {name}={value}")
    conn.commit()
    return saved


def restore_connection(conn: Connection, saved: dict[str, object]) -> None:
    """Put the connection's settings back before it returns to the pool (outside a transaction)."""
    for name, value in saved.items():
        conn.exec_driver_sql(f"PRAGMA {name}={int(value)}")
    conn.commit()


#: The requests table's secondary indexes (its unique key stays: the upsert needs it).
_SECONDARY = [index for index in ServiceRequest.__table__.indexes if not index.unique]
#: Bytes of CSV a 311 request takes at least (LA's average is 345): estimates a file's rows from its size.
_MIN_ROW_BYTES = 200


def worth_deferring(conn: Connection, remaining_bytes: int) -> bool:
    """Whether a load of that much CSV builds the indexes faster afterwards than row by row (SQLite).

    Keeping an index up to date costs SQLite some 4 µs a row inserted, at random places
    (closed_at); building it at the end costs about 1.3 µs a row of the whole table.
    So a load that may add at least half as many rows as the table holds defers them.
    """
    if conn.dialect.name != "sqlite" or remaining_bytes < (16 << 20):
        return False
    table = ServiceRequest.__table__
    rows = conn.execute(select(func.max(table.c.id))).scalar() or 0  # O(log n), unlike count(*)
    return remaining_bytes / _MIN_ROW_BYTES >= rows / 2


def defer_indexes(conn: Connection) -> None:
    """Drop the requests table's secondary indexes for a bulk load (committed; `restore_indexes` builds them).

    Queries stay correct meanwhile, only slower; an import that dies before
    building them again leaves them to the next import, which builds them first.
    """
    for index in _SECONDARY:
        conn.execute(DropIndex(index, if_exists=True))
    conn.commit()


def restore_indexes(conn: Connection) -> None:
    """Build whichever of the requests table's secondary indexes are missing (committed)."""
    for index in _SECONDARY:
        conn.execute(CreateIndex(index, if_not_exists=True))
    conn.commit()


class DepartmentsChanged(RuntimeError):
    """A department agencies map to was deleted while the import ran (its batch is rolled back)."""


def department_ids(conn: Connection) -> set[int]:
    """The ids of the departments there are (agencies map to these)."""
    return set(conn.execute(select(Department.__table__.c.id)).scalars())


def check_departments(conn: Connection, known: set[int]) -> None:
    """Raise when a department was deleted since the import started (what the foreign key would have done).

    Only needed where `tune_connection` turned foreign keys off; cheap (departments are few).
    """
    if not known or conn.dialect.name != "sqlite":
        return
    table = Department.__table__
    found = set(conn.execute(select(table.c.id).where(table.c.id.in_(known))).scalars())
    if found != known:
        raise DepartmentsChanged(f"department(s) {', '.join(map(str, sorted(known - found)))} were deleted during "
                                 "the import")


class ImportBusy(RuntimeError):
    """Another process is importing the same file (same fingerprint and source) right now."""


@contextmanager
def import_lock(conn: Connection, identity: str) -> Iterator[None]:
    """Hold the import lock of one file for the block; ImportBusy when another process holds it.

    An unfinished run is resumed by the next import of the file, so two imports of it at
    once would both take it up. SQLite: a byte-range lock in a file beside the database;
    PostgreSQL: a session advisory lock on the import's connection.
    """
    key = hashlib.sha256(identity.encode()).hexdigest()
    if conn.dialect.name == "postgresql":
        number = int(key[:15], 16)  # fits a bigint
        if not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": number}).scalar():
            raise ImportBusy("another import of this file is running")
        conn.commit()
        try:
            yield
        finally:
            conn.rollback()
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": number})
            conn.commit()
        return
    path = lock_path(conn)
    if path is None:  # an in-memory database: no other process sees it
        yield
        return
    # One lock file per database; each file's lock is one byte of it, at an offset of its own.
    offset = int(key[:12], 16)
    with open(f"{path.removesuffix('.write-lock')}.imports.lock", "a") as file:
        try:
            fcntl.lockf(file, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
        except OSError:
            raise ImportBusy("another import of this file is running") from None
        try:
            yield
        finally:
            fcntl.lockf(file, fcntl.LOCK_UN, 1, offset)

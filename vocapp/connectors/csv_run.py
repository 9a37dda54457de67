"""One CSV import run: check the file, resume or start its ImportRun, store it batch by batch, report.

Every batch (``batch_size`` rows read) is one transaction holding its requests,
its quarantined rows and the run's new resume point (the byte offset and line
after its last row), so a crash or Ctrl-C loses at most the batch in progress,
and running the import again on the same file continues after the last one.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, func, select, update

from vocapp.connectors.csv_batches import Chunk, can_fork, chunks, in_background
from vocapp.connectors.csv_formats import MissingColumns, Spec, SpecError, category_of
from vocapp.connectors.csv_parse import RowParser
from vocapp.connectors.csv_session import (
    ImportBusy,
    check_departments,
    checkpoint,
    count_requests,
    defer_indexes,
    department_ids,
    finish_run,
    import_lock,
    restore_connection,
    restore_indexes,
    resumable_run,
    start_run,
    store_rejects,
    tune_connection,
    worth_deferring,
)
from vocapp.connectors.csv_source import CsvSource, UnusableFile, check_encoding, fingerprint
from vocapp.connectors.csv_store import BatchWriter
from vocapp.db import db
from vocapp.models.request import ImportRun, RejectedRow
from vocapp.services.requests import Contacts, DepartmentMap

__all__ = ["import_file", "ImportReport", "Unusable", "BATCH_SIZE"]

#: Rows per committed batch. At each commit SQLite writes every index page the batch touched, and a
#: batch's requests land all over the closed_at indexes: storing a million LA rows took SQLite 47 s
#: in batches of 5,000 and 18 s in batches of 100,000, which is two seconds of work or so to redo
#: after an interruption.
BATCH_SIZE = 100_000
#: Rows parsed and prepared together, and handed from the reader process to the writer. Small enough
#: for a chunk's cells to stay in the CPU's cache while it is parsed column by column (a million rows
#: parse in 12 s in chunks of 250 and in 20 s in chunks of 5,000), big enough that the per-chunk work
#: (one statement, one message) is small.
CHUNK_SIZE = 250
#: Files (or what is left of them) above this size are parsed in a forked reader process.
PARALLEL_BYTES = 4 << 20
#: Quarantined rows shown in the report.
EXAMPLES = 5

_RUNS, _REJECTS = ImportRun.__table__, RejectedRow.__table__


class Unusable(ValueError):
    """The input cannot be imported at all (encoding, columns, mapping): nothing was stored."""


@dataclass
class ImportReport:
    """What an import did: the run's totals (over every session of a resumed run) and this session's."""

    path: Path
    format: str
    source: str
    run_id: int
    #: The line this session started at when it resumed an interrupted run.
    resumed_at_line: int | None
    rows_read: int
    rows_stored: int
    rows_rejected: int
    #: Of the rows stored this session, how many were not stored before.
    new: int
    #: Category -> rows quarantined (the whole run).
    rejected_by_reason: dict[str, int]
    #: The first quarantined rows: (line, source id, reason).
    examples: list[tuple[int, str | None, str]]
    unmapped_agencies: dict[str, int]
    elapsed: float
    session_rows: int = 0
    session_stored: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Rows read per second in this session."""
        return self.session_rows / self.elapsed if self.elapsed > 0 else 0.0


def import_file(path: Path, spec: Spec, source: str | None = None, *, restart: bool = False,
                batch_size: int = BATCH_SIZE, parallel: bool | None = None,
                progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Import `path` in the format `spec` describes (in an app context); Unusable for unusable input.

    `parallel` parses in a forked reader process (None: when the file is big enough to gain from it);
    `progress(done, total)` is called with byte counts after each chunk.
    """
    started = time.perf_counter()
    path = Path(path)
    source = source or spec.source
    if not source:
        raise Unusable("--source NAME is needed: the mapping names no \"source\"")
    try:
        check_encoding(path)
        reader = CsvSource(path, spec.delimiter)
    except UnusableFile as exc:
        raise Unusable(str(exc)) from exc
    except OSError as exc:
        raise Unusable(f"{path}: {exc.strerror or exc}") from exc
    with reader:
        try:
            parser = RowParser(spec, reader.header, source, current_app.config["TIMEZONE"])
        except MissingColumns as exc:
            raise Unusable(f"{path} is not a {spec.name} export: {exc}") from exc
        except SpecError as exc:
            raise Unusable(str(exc)) from exc
        identity = f"{fingerprint(path)}:{source}"[:128]
        with db.engine.connect() as conn:
            saved = tune_connection(conn)
            try:
                with import_lock(conn, identity):
                    run = _Run(conn, reader, parser, spec, identity, restart)
                    run.store(batch_size, parallel, progress)
                    return run.report(started)
            except ImportBusy as exc:
                raise Unusable(f"{path}: {exc} (as source {source!r}); wait for it to finish") from exc
            finally:
                conn.rollback()
                restore_connection(conn, saved)


class _Run:
    """An import run on its own connection: where it starts, the batch loop, the report."""

    def __init__(self, conn: Connection, reader: CsvSource, parser: RowParser, spec: Spec, identity: str,
                 restart: bool):
        self.conn, self.reader, self.parser, self.spec = conn, reader, parser, spec
        self.prior = None if restart else resumable_run(conn, spec.kind, identity)
        self.notes: list[str] = []
        if self.prior is not None and self.prior.resume_offset:
            self.run_id = self.prior.id
            self.offset, self.line = self.prior.resume_offset, self.prior.resume_line
            self.notes.append(f"resumed import run #{self.run_id} at line {self.line + 1} "
                              "(--restart starts over)")
        else:
            self.prior = None  # a run that stopped before its first batch: start afresh
            self.run_id = start_run(conn, spec.kind, str(reader.path.resolve()), identity)
            self.offset, self.line = reader.data_offset, reader.data_line
        # Older unfinished runs of the file are superseded: only the newest one is ever resumed.
        conn.execute(update(_RUNS).where(
            _RUNS.c.kind == spec.kind, _RUNS.c.fingerprint == identity, _RUNS.c.status.in_(("running", "failed")),
            _RUNS.c.id != self.run_id).values(status="abandoned", error=f"superseded by import run #{self.run_id}"))
        self.departments = DepartmentMap(conn)
        self.known_departments = department_ids(conn)
        self.writer = BatchWriter(conn, self.departments, Contacts.from_app())
        self.before = count_requests(conn, parser.source)
        conn.commit()
        self.read = self.stored = 0
        self.unmapped: dict[str, int] = {}

    def _chunks(self, batch_size: int) -> Iterator[Chunk]:
        self.reader.seek(self.offset, self.line)
        return chunks(self.reader, self.parser, self.writer.prepare, self.departments.unmapped,
                      min(batch_size, CHUNK_SIZE))

    def store(self, batch_size: int, parallel: bool | None,
              progress: Callable[[int, int], None] | None) -> None:
        """Store the file from the run's resume point on, a committed batch at a time."""
        remaining = self.reader.size - self.offset
        if parallel is None:
            parallel = remaining > PARALLEL_BYTES
        conn, writer = self.conn, self.writer
        # A bulk load builds the secondary indexes at the end, and one that died left them to us.
        restore_indexes(conn)
        deferred = worth_deferring(conn, remaining)
        if deferred:
            defer_indexes(conn)
        stream = in_background(lambda: self._chunks(batch_size)) if parallel and can_fork() \
            else self._chunks(batch_size)
        # The rows received make no reference cycles, but their millions of tuples would trigger cycle
        # collections over the whole process (the app's objects too); refcounting frees them all.
        collecting = gc.isenabled()
        gc.disable()
        pending = {"read": 0, "stored": 0, "rejected": 0}
        last: Chunk | None = None
        try:
            for chunk in stream:
                written = writer.execute(chunk.prepared)
                store_rejects(conn, self.run_id, chunk.rejects)
                pending["read"] += chunk.read
                pending["stored"] += written
                pending["rejected"] += len(chunk.rejects)
                last = chunk
                if pending["read"] >= batch_size:
                    self._commit(last, pending)
                if progress is not None:
                    progress(chunk.offset, self.reader.size)
            if last is not None and pending["read"]:
                self._commit(last, pending)
            finish_run(conn, self.run_id, "done")
            conn.commit()
        except BaseException as exc:
            self._fail(exc)
            raise
        finally:
            stream.close()  # stops the reader process
            if collecting:
                gc.enable()
            writer.close()
            if deferred:
                began = time.perf_counter()
                restore_indexes(conn)
                self.notes.append(f"bulk load: the request indexes were built after it "
                                  f"({time.perf_counter() - began:.1f} s)")

    def _commit(self, last: Chunk, pending: dict[str, int]) -> None:
        """Commit the batch with the run's counts and resume point (after `last`, its final chunk)."""
        self.writer.flush()
        checkpoint(self.conn, self.run_id, read=pending["read"], stored=pending["stored"],
                   rejected=pending["rejected"], offset=last.offset, line=last.line)
        check_departments(self.conn, self.known_departments)
        self.conn.commit()
        self.read += pending["read"]
        self.stored += pending["stored"]
        # Agencies are counted where records are prepared: on SQLite by the reader (process), elsewhere
        # by `upsert` here; one of the two counts is empty (or they are the same dict).
        self.unmapped = {**self.departments.unmapped, **last.unmapped}
        pending.update(read=0, stored=0, rejected=0)

    def _fail(self, exc: BaseException) -> None:
        """Roll the batch in progress back and mark the run failed, saying where it resumes."""
        why = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
        # Best effort: the batch is lost either way, and the original error is what matters.
        with contextlib.suppress(Exception):
            self.conn.rollback()
            line = self.conn.execute(select(_RUNS.c.resume_line).where(_RUNS.c.id == self.run_id)).scalar_one()
            finish_run(self.conn, self.run_id, "failed", f"{why} (resumes at line {line + 1})"[:2000])
            self.conn.commit()

    def report(self, started: float) -> ImportReport:
        """The report of the run (its totals) and of this session."""
        conn, run_id = self.conn, self.run_id
        totals = conn.execute(select(_RUNS.c.rows_read, _RUNS.c.rows_stored, _RUNS.c.rows_rejected)
                              .where(_RUNS.c.id == run_id)).one()
        by_reason: Counter[str] = Counter()
        for reason, count in conn.execute(select(_REJECTS.c.reason, func.count())
                                          .where(_REJECTS.c.run_id == run_id).group_by(_REJECTS.c.reason)):
            by_reason[category_of(reason)] += count
        examples = [(line, source_id, reason) for line, source_id, reason in conn.execute(
            select(_REJECTS.c.line, _REJECTS.c.source_id, _REJECTS.c.reason)
            .where(_REJECTS.c.run_id == run_id).order_by(_REJECTS.c.line).limit(EXAMPLES))]
        return ImportReport(
            path=self.reader.path, format=self.spec.name, source=self.parser.source, run_id=run_id,
            resumed_at_line=self.line + 1 if self.prior is not None else None,
            rows_read=totals.rows_read, rows_stored=totals.rows_stored, rows_rejected=totals.rows_rejected,
            new=count_requests(conn, self.parser.source) - self.before,
            rejected_by_reason=dict(by_reason.most_common()), examples=examples,
            unmapped_agencies=dict(sorted(self.unmapped.items(), key=lambda kv: -kv[1])),
            elapsed=time.perf_counter() - started, session_rows=self.read, session_stored=self.stored,
            notes=self.notes)

"""`vocapp requests import`: 311 CSV exports streamed into service requests, bad rows quarantined, resumable."""

from __future__ import annotations

import csv
import json
import multiprocessing
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from vocapp.connectors import csv_run, csv_store
from vocapp.connectors.csv_formats import LA, RowRejected, find_mojibake, text_cleaner
from vocapp.connectors.csv_parse import Parsed, RowParser
from vocapp.connectors.csv_run import import_file
from vocapp.connectors.csv_session import defer_indexes, import_lock, worth_deferring
from vocapp.connectors.csv_source import fingerprint
from vocapp.connectors.records import RequestRecord
from vocapp.db import db
from vocapp.models import Channel, ImportRun, RejectedRow, RequestStatus, ServiceRequest
from vocapp.services.requests import Contacts, DepartmentMap, upsert

DATA = Path(__file__).with_name("data")
LA_SAMPLE = "311/la/MyLA311_Service_Request_Data_2017_Subset.csv"
NYC_SAMPLE = "311/nyc/nyc311_2023-02-28_test_sample3.csv"
BOSTON_SAMPLE = "311/boston/boston311-100.csv"


def run_import(runner, path, *options: str):
    return runner.invoke(args=["requests", "import", str(path), *options])


def stored(app, source: str | None = None) -> dict[str, ServiceRequest]:
    with app.app_context():
        query = select(ServiceRequest)
        if source:
            query = query.where(ServiceRequest.source == source)
        return {r.source_id: r for r in db.session.scalars(query)}


def rejects(app) -> list[RejectedRow]:
    with app.app_context():
        return list(db.session.scalars(select(RejectedRow).order_by(RejectedRow.run_id, RejectedRow.line)))


def runs(app) -> list[ImportRun]:
    with app.app_context():
        return list(db.session.scalars(select(ImportRun).order_by(ImportRun.id)))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# --- the formats ---------------------------------------------------------------------------------


def test_la_rows_become_requests_with_their_local_times_in_utc(app, runner, departments):
    result = run_import(runner, DATA / "la_small.csv", "--format", "la")
    assert result.exit_code == 0, result.output
    rows = stored(app)
    assert sorted(rows) == ["1-100", "1-101", "1-105"]
    closed = rows["1-100"]
    # 11:59:58 PM on New Year's Eve in Los Angeles (PST, UTC-8) is 07:59:58 UTC on New Year's Day.
    assert closed.requested_at == datetime(2018, 1, 1, 7, 59, 58, tzinfo=UTC)
    assert closed.closed_at == datetime(2018, 1, 3, 18, 11, 23, tzinfo=UTC)
    assert (closed.source, closed.status, closed.channel, closed.ward, closed.zip) == (
        "la", RequestStatus.CLOSED, Channel.PHONE, "CD 13", "90026")
    assert (closed.service_code, closed.service_name, closed.agency) == ("BULKY_ITEMS", "Bulky Items", "STR")
    assert closed.department_id == departments["STR"]
    assert (closed.latitude, closed.longitude) == (34.073216645, -118.266861909)
    opened = rows["1-101"]
    assert (opened.status, opened.channel, opened.closed_at, opened.zip, opened.latitude) == (
        RequestStatus.OPEN, Channel.APP, None, None, None)
    assert opened.service_code == "METAL_HOUSEHOLD_APPLIANCES" and opened.department_id is None
    cancelled = rows["1-105"]
    assert (cancelled.status, cancelled.channel, cancelled.department_id) == (
        RequestStatus.CANCELLED, Channel.WALK_IN, departments["WTR"])


def test_bad_rows_are_quarantined_with_their_line_reason_and_row(app, runner, departments):
    run_import(runner, DATA / "la_small.csv", "--format", "la")
    found = [(r.line, r.source_id, r.reason.split(":")[0]) for r in rejects(app)]
    assert found == [
        (4, "1-102", "closed before requested"),
        (5, "1-103", "impossible ZIP code"),
        (6, "1-104", "unparseable date"),
        (7, None, "missing request id"),
        # The row before spans lines 8 and 9 (a quoted newline): line numbers are the file's.
        (10, "1-106", "mojibake"),
        (11, "1-107", "malformed row"),
    ]
    by_id = {r.source_id: r for r in rejects(app)}
    assert by_id["1-102"].reason == ("closed before requested: ClosedDate '12/30/2017 12:00:00 AM' is before "
                                     "CreatedDate '12/30/2017 05:16:06 PM'")
    assert by_id["1-103"].reason == "impossible ZIP code: ZipCode '99999'"
    assert json.loads(by_id["1-104"].raw)["CreatedDate"] == "13/45/2017 25:00:00 PM"
    (run,) = runs(app)
    assert (run.status, run.rows_read, run.rows_stored, run.rows_rejected) == ("done", 9, 3, 6)


def test_the_report_counts_rows_by_reason_and_names_agencies_without_a_department(app, runner, departments):
    result = run_import(runner, DATA / "la_small.csv", "--format", "la")
    assert result.exit_code == 0
    report = result.stdout
    assert "rows read              9" in report
    assert "stored                 3   (3 new, 0 already there and updated)" in report
    assert "quarantined            6" in report
    for reason in ("closed before requested", "impossible ZIP code", "unparseable date", "missing request id",
                   "mojibake", "malformed row"):
        assert f"1  {reason}" in report
    assert "line 4 (1-102): closed before requested: ClosedDate '12/30/2017 12:00:00 AM'" in report
    assert "agencies with no department of that code (stored without a department): BOS (1 row)" in report
    assert "rows/s" in report
    assert "Warning: 6 of 9 rows were quarantined, not imported" in result.stderr


def test_a_clean_export_exits_zero_without_a_warning(app, runner):
    result = run_import(runner, DATA / "boston_small.csv", "--format", "boston")
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr and "quarantined            0" in result.stdout
    rows = stored(app, "boston")
    assert len(rows) == 3
    closed = rows["101004130437"]
    # Boston's naive times are Eastern: 11:18 EST is 16:18 UTC.
    assert closed.requested_at == datetime(2022, 1, 19, 16, 18, tzinfo=UTC)
    assert (closed.status, closed.channel, closed.zip, closed.agency) == (
        RequestStatus.CLOSED, Channel.PHONE, "02113", "GEN_")
    assert closed.status_notes.startswith("Case Closed. Closed date : Wed Jan 19 11:42:16 EST 2022")
    assert closed.extra == {"subject": "Mayor's 24 Hour Hotline", "queue": "GEN_Needle_Pickup"}
    assert rows["101004143000"].status == RequestStatus.OPEN and rows["101004143000"].status_notes is None


def test_nyc_rows_with_mojibake_impossible_zips_or_closing_before_creation_are_quarantined(app, runner):
    result = run_import(runner, DATA / "nyc_small.csv", "--format", "nyc")
    assert result.exit_code == 0, result.output
    rows = stored(app, "nyc")
    assert sorted(rows) == ["56900001", "56900002"]
    summons = rows["56900001"]
    assert (summons.service_code, summons.service_name, summons.extra) == (
        "ILLEGAL_PARKING", "Illegal Parking", {"descriptor": "Blocked Hydrant"})
    assert (summons.channel, summons.ward, summons.zip) == (Channel.APP, "01 BRONX", "10455")
    assert summons.status_notes == "The Police Department issued a summons in response to the complaint."
    assert summons.requested_at == datetime(2023, 3, 1, 4, 44, 59, tzinfo=UTC)  # EST is UTC-5
    assert rows["56900002"].ward is None  # "0 Unspecified"
    assert [(r.source_id, r.reason.split(":")[0]) for r in rejects(app)] == [
        ("56900003", "mojibake"), ("56900004", "impossible ZIP code"), ("56900005", "closed before requested")]


def test_a_mapping_file_reads_any_export(app, runner, departments):
    result = run_import(runner, DATA / "generic.csv", "--format", "csv", "--mapping", DATA / "generic_mapping.json")
    assert result.exit_code == 0, result.output
    rows = stored(app, "chicago")
    assert sorted(rows) == ["CH-1", "CH-2"]
    pothole = rows["CH-1"]
    # Day-first dates, in Chicago time (CST, UTC-6); the semicolons were sniffed.
    assert pothole.requested_at == datetime(2024, 1, 1, 5, 30, tzinfo=UTC)
    assert (pothole.status, pothole.service_code, pothole.department_id) == (
        RequestStatus.CLOSED, "POTHOLE_IN_STREET", departments["STR"])
    # Closed longer ago than CONTACT_RETENTION_DAYS: the address is not kept, only its keyed hash.
    assert pothole.contact_email is None and len(pothole.contact_hash) == 64
    water = rows["CH-2"]
    assert (water.status, water.zip, water.contact_phone, water.channel) == (
        RequestStatus.OPEN, "60602", "+13125550142", Channel.WEB)
    (reject,) = rejects(app)
    raw = json.loads(reject.raw)
    assert reject.source_id == "CH-3" and raw["Ticket"] == "CH-3"
    # The resident's contacts and name never reach the quarantine.
    assert not {"Email", "Phone", "Resident"} & set(raw)


def test_source_overrides_the_formats_source_name(app, runner):
    result = run_import(runner, DATA / "boston_small.csv", "--format", "boston", "--source", "boston-archive")
    assert result.exit_code == 0
    assert len(stored(app, "boston-archive")) == 3 and not stored(app, "boston")


@pytest.mark.parametrize(("mapping", "message"), [
    ({"columns": {"requested_at": "Opened"}}, "must map source_id"),
    ({"columns": {"source_id": "Ticket", "colour": "Via"}}, "unknown field(s) colour"),
    ({"columns": {"source_id": "Ticket"}, "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ({"columns": {"source_id": "Nope"}, "source": "x"}, "missing column(s) 'Nope'"),
])
def test_an_unusable_mapping_is_refused_with_exit_2(app, runner, tmp_path, mapping, message):
    path = tmp_path / "map.json"
    path.write_text(json.dumps(mapping), encoding="utf-8")
    result = run_import(runner, DATA / "generic.csv", "--format", "csv", "--mapping", path)
    assert result.exit_code == 2 and message in result.stderr
    assert count(app, ServiceRequest) == 0


def test_format_csv_needs_a_mapping(app, runner):
    result = run_import(runner, DATA / "generic.csv", "--format", "csv")
    assert result.exit_code == 2 and "--format csv needs --mapping" in result.stderr


# --- unusable files: exit 2, nothing stored -----------------------------------------------------------


@pytest.mark.parametrize(("name", "message"), [
    ("la_latin1.csv", "is not UTF-8: byte(s) d1 4f 4c 41 at line 3"),
    ("la_utf16.csv", "is UTF-16 or UTF-32"),
    ("la_missing_columns.csv", "is not a la export: missing column(s) 'ClosedDate', 'Owner'"),
])
def test_an_unusable_file_is_refused_with_exit_2_and_nothing_stored(app, runner, name, message):
    result = run_import(runner, DATA / name, "--format", "la")
    assert result.exit_code == 2
    assert message in result.stderr and name in result.stderr
    assert (count(app, ServiceRequest), count(app, ImportRun), count(app, RejectedRow)) == (0, 0, 0)


def test_a_byte_order_mark_and_lf_line_ends_read_the_same(app, runner, departments):
    assert run_import(runner, DATA / "la_bom.csv", "--format", "la").exit_code == 0
    assert sorted(stored(app)) == ["1-100", "1-101", "1-105"]
    assert [r.line for r in rejects(app)] == [4, 5, 6, 7, 10, 11]


def test_a_row_the_csv_reader_refuses_is_quarantined_and_the_next_ones_are_read(app, runner, tmp_path):
    lines = (DATA / "la_small.csv").read_bytes().decode("utf-8").splitlines()
    broken = lines[1].replace("SR Created", "SR\rCreated")  # a bare carriage return in an unquoted field
    path = tmp_path / "la_cr.csv"
    path.write_bytes(("\n".join([lines[0], broken, lines[2]]) + "\n").encode("utf-8"))
    result = run_import(runner, path, "--format", "la")
    assert result.exit_code == 0
    assert sorted(stored(app)) == ["1-101"]
    (reject,) = rejects(app)
    assert reject.line == 2 and reject.reason.startswith("malformed CSV: new-line character seen in unquoted field")


# --- idempotence and resuming ----------------------------------------------------------------------


def test_importing_a_file_twice_keeps_one_row_per_request(app, runner, departments):
    first = run_import(runner, DATA / "la_small.csv", "--format", "la")
    again = run_import(runner, DATA / "la_small.csv", "--format", "la")
    assert first.exit_code == again.exit_code == 0
    assert count(app, ServiceRequest) == 3
    assert "stored                 3   (0 new, 3 already there and updated)" in again.stdout
    assert [r.status for r in runs(app)] == ["done", "done"]


def test_an_interrupted_import_resumes_after_its_last_committed_batch(app, runner, departments, monkeypatch):
    calls = []
    execute = csv_store.BatchWriter.execute

    def failing_third_batch(self, prepared):
        calls.append(len(prepared.rows))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return execute(self, prepared)

    monkeypatch.setattr(csv_store.BatchWriter, "execute", failing_third_batch)
    crashed = run_import(runner, DATA / "la_small.csv", "--format", "la", "--batch-size", "2")
    assert crashed.exit_code == 1 and str(crashed.exception) == "disk full"
    (run,) = runs(app)
    # Two batches of two rows (lines 2-5) were committed; the third was rolled back.
    assert (run.status, run.rows_read, run.resume_line) == ("failed", 4, 5)
    assert "disk full (resumes at line 6)" in run.error
    assert sorted(stored(app)) == ["1-100", "1-101"]

    monkeypatch.setattr(csv_store.BatchWriter, "execute", execute)
    resumed = run_import(runner, DATA / "la_small.csv", "--format", "la", "--batch-size", "2")
    assert resumed.exit_code == 0, resumed.output
    assert "resumed import run #1 at line 6" in resumed.stdout
    (run,) = runs(app)
    assert (run.status, run.rows_read, run.rows_stored, run.rows_rejected) == ("done", 9, 3, 6)
    assert sorted(stored(app)) == ["1-100", "1-101", "1-105"]
    assert [r.line for r in rejects(app)] == [4, 5, 6, 7, 10, 11]  # none twice


def test_ctrl_c_leaves_a_run_that_the_next_import_resumes(app, runner, departments, monkeypatch):
    execute = csv_store.BatchWriter.execute
    calls = []

    def interrupted(self, prepared):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return execute(self, prepared)

    monkeypatch.setattr(csv_store.BatchWriter, "execute", interrupted)
    result = run_import(runner, DATA / "la_small.csv", "--format", "la", "--batch-size", "3")
    assert result.exit_code == 130 and "Run the same command again to resume" in result.stderr
    (run,) = runs(app)
    assert (run.status, run.resume_line) == ("failed", 4) and run.error.startswith("interrupted")
    monkeypatch.setattr(csv_store.BatchWriter, "execute", execute)
    assert "resumed import run #1 at line 5" in run_import(runner, DATA / "la_small.csv", "--format", "la").stdout
    assert count(app, ServiceRequest) == 3


def test_restart_starts_from_the_top_and_supersedes_the_interrupted_run(app, runner, departments, monkeypatch):
    execute = csv_store.BatchWriter.execute
    calls = []

    def failing_second_batch(self, prepared):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return execute(self, prepared)

    monkeypatch.setattr(csv_store.BatchWriter, "execute", failing_second_batch)
    crashed = run_import(runner, DATA / "la_small.csv", "--format", "la", "--batch-size", "1")
    assert crashed.exit_code == 1 and str(crashed.exception) == "boom"
    monkeypatch.setattr(csv_store.BatchWriter, "execute", execute)
    result = run_import(runner, DATA / "la_small.csv", "--format", "la", "--restart")
    assert result.exit_code == 0 and "resumed" not in result.stdout
    first, second = runs(app)
    assert (first.status, first.error) == ("abandoned", "superseded by import run #2")
    assert (second.status, second.rows_read, second.rows_stored) == ("done", 9, 3)


def test_a_second_import_of_a_file_being_imported_is_refused(app, runner):
    path = DATA / "boston_small.csv"
    identity = f"{fingerprint(path)}:boston"
    context = multiprocessing.get_context("fork")
    ready, done = context.Event(), context.Event()

    def hold_the_lock():
        with app.app_context():
            db.engine.dispose(close=False)  # the parent's pooled connections are not this process's
            with db.engine.connect() as conn, import_lock(conn, identity):
                ready.set()
                done.wait(30)

    holder = context.Process(target=hold_the_lock)
    holder.start()
    try:
        assert ready.wait(30)
        result = run_import(runner, path, "--format", "boston")
    finally:
        done.set()
        holder.join(30)
    assert result.exit_code == 2 and "another import of this file is running" in result.stderr
    assert count(app, ImportRun) == 0
    assert run_import(runner, path, "--format", "boston").exit_code == 0  # once it is done


def test_the_reader_process_stores_what_the_in_process_reader_stores(app, departments):
    with app.app_context():
        forked = import_file(DATA / "la_small.csv", LA, "forked", parallel=True, batch_size=2)
        inline = import_file(DATA / "la_small.csv", LA, "inline", parallel=False, batch_size=2)
    assert (forked.rows_read, forked.rows_stored, forked.rows_rejected) == (9, 3, 6)
    assert (inline.rows_read, inline.rows_stored, inline.rejected_by_reason) == (
        9, 3, forked.rejected_by_reason)

    def shape(rows):
        return sorted((r.source_id, r.status, r.requested_at, r.closed_at, r.zip, r.ward) for r in rows.values())

    assert shape(stored(app, "forked")) == shape(stored(app, "inline"))


def _indexes(app) -> set[str]:
    with app.app_context():
        return set(db.session.connection().exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'service_requests' "
            "AND sql IS NOT NULL").scalars())


SECONDARY = {"ix_service_requests_closed_at", "ix_service_requests_contact_hash",
             "ix_service_requests_department_closed"}


@pytest.fixture()
def sqlite_app(app):
    """The app, on SQLite: bulk loads defer indexes there only (PostgreSQL gets `upsert`)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            assert not worth_deferring(db.session.connection(), 1 << 30)
        pytest.skip("SQLite's bulk load")
    return app


def test_a_bulk_load_drops_the_secondary_indexes_and_builds_them_at_the_end(sqlite_app, departments, monkeypatch):
    app = sqlite_app
    assert _indexes(app) == SECONDARY
    seen = []
    execute = csv_store.BatchWriter.execute

    def watching(self, prepared):
        seen.append(set(self.conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'service_requests'").scalars()))
        return execute(self, prepared)

    monkeypatch.setattr(csv_store.BatchWriter, "execute", watching)
    monkeypatch.setattr(csv_run, "worth_deferring", lambda conn, remaining: True)
    with app.app_context():
        report = import_file(DATA / "la_small.csv", LA, "la", batch_size=2)
    assert report.rows_stored == 3
    assert seen and all(not (names & SECONDARY) for names in seen)  # the unique key stays: the upsert needs it
    assert _indexes(app) == SECONDARY


def test_indexes_a_dead_bulk_load_left_dropped_are_built_by_the_next_import(sqlite_app, departments):
    app = sqlite_app
    with app.app_context():
        defer_indexes(db.session.connection())  # as an import killed mid-way leaves them
    assert not _indexes(app) & SECONDARY
    with app.app_context():
        import_file(DATA / "la_small.csv", LA, "la")
    assert _indexes(app) == SECONDARY


def test_a_small_file_into_a_big_table_keeps_the_indexes(sqlite_app):
    with sqlite_app.app_context():
        conn = db.session.connection()
        assert not worth_deferring(conn, 1 << 20)  # 1 MB: not worth rebuilding for
        assert worth_deferring(conn, 64 << 20)  # 64 MB into an empty table
        conn.execute(ServiceRequest.__table__.insert(), [
            {"id": 10_000_000, "source": "x", "source_id": "1", "channel": "web", "status": "open", "reopened": False,
             "first_seen_at": datetime(2026, 1, 1, tzinfo=UTC), "last_seen_at": datetime(2026, 1, 1, tzinfo=UTC)}])
        assert not worth_deferring(conn, 64 << 20)  # some 300,000 rows into ten million


def test_department_lookup_over_a_column_matches_one_call_per_row(app, departments):
    agencies = ["STR", "BOS", None, "XYZ", "str ", "XYZ", "", "QQ"]
    with app.app_context():
        conn = db.session.connection()
        one_by_one, by_column = DepartmentMap(conn), DepartmentMap(conn)
        assert by_column.column(agencies) == [one_by_one(agency) for agency in agencies]
    assert by_column.unmapped == one_by_one.unmapped and by_column.unmapped["XYZ"] == 2


@pytest.mark.parametrize("cells", [
    [" 1-100", "1-101 ", "A'B"],
    ["1", "", "3"],  # a blank id is None
    ["Señor", "x"],  # not ASCII: checked for mojibake one by one
    ["Caf\u00c3\u00a9", "x"],  # mojibake
    ["x" * 81, "y"],  # too long for an id
])
def test_a_text_column_is_cleaned_as_each_cell_would_be(cells):
    clean = text_cleaner("source_id", "SRNumber")

    def one(cell):
        try:
            return clean(cell)
        except RowRejected as exc:
            return str(exc)

    expected = [one(cell) for cell in cells]
    try:
        got = clean.many(cells)
    except RowRejected as exc:  # a column with a bad cell raises, and the parser goes cell by cell
        assert str(exc) in expected
    else:
        assert got == expected


def test_records_survive_the_trip_through_columns():
    records = [RequestRecord(source="s", source_id=str(i), status=RequestStatus.CLOSED, agency=agency,
                             latitude=1.5 * i, extra={"k": i} if i else None)
               for i, agency in enumerate(["A", None, "B"])]
    parsed = Parsed.of(records)
    assert parsed.count == 3 and parsed.records() == records
    assert Parsed({}, 0).records() == []


def test_the_fast_sqlite_path_stores_exactly_what_upsert_stores(app, departments):
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    base = dict(status=RequestStatus.CLOSED, service_code="X'Y", service_name="Señor's \"bin\"", agency="STR",
                channel=Channel.APP, ward="CD 1", zip="90012", latitude=34.0522342, longitude=-118.2436849,
                requested_at=now - timedelta(days=3), closed_at=now - timedelta(days=1),
                source_updated_at=now - timedelta(hours=5), extra={"k": ["v", 1]})
    variants = [dict(), dict(agency="XYZ", extra=None), dict(status=RequestStatus.OPEN, closed_at=None),
                dict(contact_email="Ana@Example.org", contact_phone="(213) 555-0142"),
                dict(closed_at=now - timedelta(days=200), requested_at=now - timedelta(days=201),
                     contact_email="old@example.org"),
                dict(latitude=None, longitude=None, language="es", status_notes="ok", duplicate_of="7")]
    with app.app_context():
        conn = db.session.connection()
        contacts = Contacts(b"key", timedelta(days=90), "US")
        for source, write in (("fast", lambda records: csv_store.BatchWriter(
                conn, DepartmentMap(conn), contacts, now).write(records)),
                              ("upsert", lambda records: upsert(conn, records, DepartmentMap(conn), contacts, now))):
            records = [RequestRecord(source=source, source_id=str(i), **{**base, **change})
                       for i, change in enumerate(variants)]
            write(records)
            write(records[:2])  # and again: the conflict branch
        db.session.commit()
        conn = db.session.connection()
        columns = [c.name for c in ServiceRequest.__table__.c if c.name not in ("id", "source")]
        dumped = {source: conn.exec_driver_sql(
            f"SELECT {', '.join(columns)} FROM service_requests WHERE source = ? ORDER BY source_id"
            if conn.dialect.name == "sqlite" else
            f"SELECT {', '.join(columns)} FROM service_requests WHERE source = %s ORDER BY source_id",
            (source,)).all() for source in ("fast", "upsert")}
    assert dumped["fast"] == dumped["upsert"] and len(dumped["fast"]) == len(variants)


# --- the real exports (../shared/data) -------------------------------------------------------------


def _closed_before_created(path: Path, key: str, created: str, closed: str) -> set[str]:
    """The ids of rows closed before they were created, read independently of the importer."""
    def parse(text):
        return datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p")

    with open(path, newline="", encoding="utf-8") as f:
        return {row[key] for row in csv.DictReader(f) if row[closed] and parse(row[closed]) < parse(row[created])}


def test_the_real_la_export_stores_every_row_but_those_closed_before_they_were_created(app, runner, shared_data):
    path = shared_data / LA_SAMPLE
    expected = _closed_before_created(path, "SRNumber", "CreatedDate", "ClosedDate")
    assert len(expected) == 12
    result = run_import(runner, path, "--format", "la")
    assert result.exit_code == 0
    assert "Warning: 12 of 9,999 rows were quarantined" in result.stderr
    assert len(stored(app, "la")) == 9_999 - 12
    found = rejects(app)
    assert {r.source_id for r in found} == expected
    assert {r.reason.split(":")[0] for r in found} == {"closed before requested"}
    with open(path, newline="", encoding="utf-8") as f:
        kept = Counter(row["Status"] for row in csv.DictReader(f) if row["SRNumber"] not in expected)
    statuses = {s.value: n for s, n in _count_by(app, ServiceRequest.status).items()}
    assert statuses == {"closed": kept["Closed"], "cancelled": kept["Cancelled"], "referred": kept["Referred Out"],
                        "open": kept["Open"]}


def test_the_real_nyc_sample_quarantines_impossible_zips_and_closings_before_creation(app, runner, shared_data):
    path = shared_data / NYC_SAMPLE
    closed_early = _closed_before_created(path, "Unique Key", "Created Date", "Closed Date")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    impossible = {r["Unique Key"] for r in rows if r["Incident Zip"] in ("66666", "88888", "99999")}
    # UTF-8 read as Latin-1 shows as C1 control characters, or as "\u00c2" before a no-break space.
    mangled = {r["Unique Key"] for r in rows if re.search("[\u0080-\u009f]|\u00c2\u00a0", r["Resolution Description"])}
    assert (len(rows), len(closed_early), len(impossible)) == (4_999, 2, 68)
    result = run_import(runner, path, "--format", "nyc")
    assert result.exit_code == 0
    quarantined = {r.source_id for r in rejects(app)}
    assert closed_early | impossible | mangled == quarantined
    kept = stored(app, "nyc")
    assert len(kept) == 4_999 - len(quarantined)
    assert not {r.zip for r in kept.values()} & {"66666", "88888", "99999"}
    assert all(r.closed_at is None or r.closed_at >= r.requested_at for r in kept.values())


def test_the_real_boston_sample_imports_all_100_rows(app, runner, shared_data):
    result = run_import(runner, shared_data / BOSTON_SAMPLE, "--format", "boston")
    assert result.exit_code == 0 and "Warning" not in result.stderr
    rows = stored(app, "boston")
    assert len(rows) == 100
    assert {s.value: n for s, n in _count_by(app, ServiceRequest.status).items()} == {"closed": 85, "open": 15}
    assert {c.value: n for c, n in _count_by(app, ServiceRequest.channel).items()} == {
        "app": 56, "phone": 30, "other": 11, "web": 3}


def _count_by(app, column) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(column, func.count()).group_by(column)).all())


# --- pieces ----------------------------------------------------------------------------------------


def test_mojibake_is_told_from_real_accents():
    assert find_mojibake("Department of Transportation\u00e2\u0080\u0099s website")
    assert find_mojibake("Caf\u00c3\u00a9 on Main")
    assert find_mojibake("Recycling\u00c2\u00a0bins")
    assert find_mojibake("Calle Se\u00f1or Jos\u00e9, 4\u00ba izq.") is None
    assert find_mojibake("S\u00c3O PAULO") is None  # a capital A-tilde is Portuguese, not mojibake


def test_a_row_keeps_the_first_problem_in_field_order():
    header = ["SRNumber", "CreatedDate", "ClosedDate", "Owner", "RequestType", "Status", "ZipCode"]
    parser = RowParser(LA, header, "la", "UTC")
    records, rejected = parser.parse_rows(
        [["1", "bad", "", "BOS", "Bulky Items", "Closed", "99999"],
         ["2", "12/31/2017 11:59:58 PM", "", "BOS", "Bulky Items", "Closed", "99999"],
         ["3", "12/31/2017 11:59:58 PM", "", "BOS", "Bulky Items", "", "90012"]], [2, 3, 4])
    assert [(r.line, r.reason) for r in rejected] == [
        (2, "unparseable date: CreatedDate 'bad'"), (3, "impossible ZIP code: ZipCode '99999'")]
    # A blank status is derived: open without a close time.
    assert [(r.source_id, r.status) for r in records] == [("3", RequestStatus.OPEN)]

"""CSV import of a million 311 requests: at least 50,000 rows/s and at most 3x SQLite's own ``.import``.

Builds a ``--rows`` file in a temporary folder by repeating the rows of the
MyLA311 sample (../shared/data/311/la) with unique SRNumbers, then in the same
run times

* ``vocapp requests import FILE --format la`` into a fresh, migrated SQLite
  database (the command, run in this process on an app created beforehand:
  the interpreter's start-up and the app's creation are not counted, the whole
  command is: checking the file, the import, the report), and
* the sqlite3 shell's ``.import --csv FILE raw`` of the same file into a plain
  table of a fresh database (no indexes, no parsing: the floor),

checks the stored and quarantined counts, and prints both times, the rows/s,
their ratio and PASS/FAIL.

    .venv/bin/python tests/perf/bench_import.py [--rows 1000000] [--batch-size N] [--rounds 3] [--json]

Exit status 0 when it passes, 1 when not, 2 when it could not run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_respond import SetupError, Target, build_app, environment  # noqa: E402

__all__ = ["build_file", "measure", "main", "render"]

LA_SAMPLE = ROOT.parent / "shared" / "data" / "311" / "la" / "MyLA311_Service_Request_Data_2017_Subset.csv"
SQLITE3 = shutil.which("sqlite3") or "/usr/bin/sqlite3"
MIN_ROWS_PER_SECOND = 50_000
MAX_RATIO = 3.0


@dataclass
class Results:
    """One benchmark run's figures and verdict."""

    rows: int
    file_bytes: int
    batch_size: int
    rounds: int
    vocapp_seconds: float
    sqlite_seconds: float
    vocapp_rounds: list[float]
    sqlite_rounds: list[float]
    rows_per_second: float
    ratio: float
    stored: int
    rejected: int
    expected_rejected: int
    passed: bool
    failures: list[str]


def build_file(sample: Path, rows: int, out: Path) -> int:
    """Write `rows` rows cycling through `sample`'s with SRNumbers B-000000000...; returns the rejects expected.

    The sample's rows closed before they were requested stay so in every copy, and are to be quarantined.
    """
    with open(sample, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader)
        base = list(reader)
    created, closed = header.index("CreatedDate"), header.index("ClosedDate")

    def stamp(text: str) -> str:
        return time.strftime("%Y%m%d%H%M%S", time.strptime(text, "%m/%d/%Y %I:%M:%S %p")) if text else ""

    bad = {i for i, row in enumerate(base) if row[closed] and stamp(row[closed]) < stamp(row[created])}
    expected = 0
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        buffer = []
        for n in range(rows):
            i = n % len(base)
            row = base[i][:]
            row[0] = f"B-{n:09d}"
            expected += i in bad
            buffer.append(row)
            if len(buffer) == 10_000:
                writer.writerows(buffer)
                buffer.clear()
        writer.writerows(buffer)
    return expected


def time_vocapp(path: Path, workdir: Path, batch_size: int) -> tuple[float, int, int]:
    """Seconds `vocapp requests import` takes on a fresh migrated database; returns (seconds, stored, rejected).

    The command runs on an app created beforehand (its creation, like the interpreter's start, is a
    fixed cost of every vocapp command, not the import's).
    """
    instance = workdir / "instance"
    shutil.rmtree(instance, ignore_errors=True)
    env = {"VOCAPP_INSTANCE_PATH": str(instance), "VOCAPP_SECRET_KEY": secrets.token_hex(32),
           "VOCAPP_DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}"}
    app = build_app(Target(env, drop=lambda: None))
    argv = ["requests", "import", str(path), "--format", "la", "--batch-size", str(batch_size)]
    with environment(env):
        started = time.perf_counter()
        result = app.test_cli_runner().invoke(args=argv)
        seconds = time.perf_counter() - started
    if result.exit_code != 0:
        raise SetupError(f"vocapp requests import failed ({result.exit_code}): {result.output[-2000:]}")
    print(result.stdout, file=sys.stderr)
    with app.app_context():
        from vocapp.db import db

        db.engine.dispose()
    with sqlite3.connect(instance / "bench.sqlite3") as conn:
        stored = conn.execute("SELECT count(*) FROM service_requests").fetchone()[0]
        rejected = conn.execute("SELECT count(*) FROM rejected_rows").fetchone()[0]
    return seconds, stored, rejected


def time_sqlite_import(path: Path, workdir: Path) -> float:
    """Seconds the sqlite3 shell's ``.import --csv`` of the file into a plain table of a fresh database takes."""
    target = workdir / "plain.sqlite3"
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.run([SQLITE3, str(target), f".import --csv {path} raw"], capture_output=True, text=True,
                          check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0 or proc.stderr.strip():
        raise SetupError(f"sqlite3 .import failed: {proc.stderr.strip() or proc.returncode}")
    target.unlink()
    return seconds


def settle(seconds: float = 1.0) -> None:
    """Let the disk catch up: the previous measurement's writes must not be flushed during the next one."""
    os.sync()
    time.sleep(seconds)


#: Seconds to rest after writing the file. Measured on the 2-core VM: an import started right after
#: writing 345 MB took 20 s, one started 15 s later 15 s (the host's writeback and CPU share recover).
REST_AFTER_BUILD = 15.0


def measure(rows: int, batch_size: int, rounds: int, workdir: Path, say) -> Results:
    """Build the file, time both imports (`rounds` times each, alternating; medians count) and judge them."""
    if not LA_SAMPLE.is_file():
        raise SetupError(f"the LA sample {LA_SAMPLE} is absent")
    if not Path(SQLITE3).exists():
        raise SetupError("the sqlite3 shell is not installed")
    path = workdir / f"la_{rows}.csv"
    say(f"writing {rows:,} rows to {path}")
    expected = build_file(LA_SAMPLE, rows, path)
    settle(REST_AFTER_BUILD)
    vocapp_times, sqlite_times = [], []
    stored = rejected = 0
    for n in range(rounds):
        settle()
        say(f"round {n + 1}/{rounds}: sqlite3 .import")
        sqlite_times.append(time_sqlite_import(path, workdir))
        settle()
        say(f"round {n + 1}/{rounds}: vocapp requests import")
        seconds, stored, rejected = time_vocapp(path, workdir, batch_size)
        vocapp_times.append(seconds)
    vocapp_seconds, sqlite_seconds = statistics.median(vocapp_times), statistics.median(sqlite_times)
    rate, ratio = rows / vocapp_seconds, vocapp_seconds / sqlite_seconds
    failures = []
    if rate < MIN_ROWS_PER_SECOND:
        failures.append(f"{rate:,.0f} rows/s is below {MIN_ROWS_PER_SECOND:,}")
    if ratio > MAX_RATIO:
        failures.append(f"{ratio:.2f}x the .import time is above {MAX_RATIO:.0f}x")
    if (stored, rejected) != (rows - expected, expected):
        failures.append(f"stored {stored:,} and quarantined {rejected:,}; expected {rows - expected:,} and "
                        f"{expected:,}")
    return Results(rows=rows, file_bytes=path.stat().st_size, batch_size=batch_size, rounds=rounds,
                   vocapp_seconds=vocapp_seconds, sqlite_seconds=sqlite_seconds, vocapp_rounds=vocapp_times,
                   sqlite_rounds=sqlite_times, rows_per_second=rate, ratio=ratio,
                   stored=stored, rejected=rejected, expected_rejected=expected, passed=not failures,
                   failures=failures)


def render(res: Results) -> str:
    """The results as a table a person reads."""
    lines = [
        f"CSV import benchmark: {res.rows:,} LA rows ({res.file_bytes / 1e6:,.0f} MB), batches of {res.batch_size:,}, "
        f"median of {res.rounds} round(s), {os.cpu_count()} CPU(s)",
        "",
        f"{'':34}{'seconds':>9}{'rows/s':>12}   each round (s)",
        f"{'sqlite3 .import --csv (plain)':34}{res.sqlite_seconds:>9.2f}{res.rows / res.sqlite_seconds:>12,.0f}   "
        + ", ".join(f"{t:.2f}" for t in res.sqlite_rounds),
        f"{'vocapp requests import --format la':34}{res.vocapp_seconds:>9.2f}{res.rows_per_second:>12,.0f}   "
        + ", ".join(f"{t:.2f}" for t in res.vocapp_rounds),
        "",
        f"stored {res.stored:,}, quarantined {res.rejected:,} (expected {res.expected_rejected:,}: closed before "
        "requested)",
        "",
        f"{'criterion':30}{'required':>14}  {'measured':>12}  result",
        f"{'rows per second':30}{f'>= {MIN_ROWS_PER_SECOND:,}':>14}  {res.rows_per_second:>12,.0f}  "
        f"{'PASS' if res.rows_per_second >= MIN_ROWS_PER_SECOND else 'FAIL'}",
        f"{'time / sqlite3 .import time':30}{f'<= {MAX_RATIO:.1f}':>14}  {res.ratio:>12.2f}  "
        f"{'PASS' if res.ratio <= MAX_RATIO else 'FAIL'}",
        "",
        "PASS" if res.passed else "FAIL: " + "; ".join(res.failures),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the generated file")
    parser.add_argument("--batch-size", type=int, default=None, help="rows per committed batch (default: vocapp's)")
    parser.add_argument("--rounds", type=int, default=3, help="time each import this many times; medians count")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if args.rows < 10_000 or args.rounds < 1:
        parser.error("--rows must be at least 10000 and --rounds at least 1")
    from vocapp.connectors.csv_run import BATCH_SIZE

    def say(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="vocapp-bench-import-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        res = measure(args.rows, args.batch_size or BATCH_SIZE, args.rounds, workdir, say)
    except SetupError as exc:
        print(f"bench_import: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(asdict(res), indent=2) if args.json else render(res))
    return 0 if res.passed else 1


if __name__ == "__main__":
    sys.exit(main())

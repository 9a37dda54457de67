"""The respond load benchmark as slow tests: ``make bench`` (``pytest -m slow -s``) runs them, ``make test`` skips them.

Each test runs tests/perf/bench_respond.py in a subprocess (its own gunicorn,
database and environment), prints its table and asserts the requirement's
criteria. SQLite always; PostgreSQL when VOCAPP_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.perf.bench_respond import render_table

BENCH = Path(__file__).with_name("bench_respond.py")
PG_URL = os.environ.get("VOCAPP_TEST_DATABASE_URL")

pytestmark = pytest.mark.slow


def run_benchmark(db: str) -> dict:
    """Run the benchmark with its default load (64 clients, 4 workers) and return its JSON results."""
    command = [sys.executable, str(BENCH), "--db", db, "--json"]
    if db == "postgres":
        command += ["--database-url", PG_URL]
    # stderr is not captured: with -s the benchmark's progress shows as it runs.
    proc = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=1800, check=False)
    if proc.returncode == 2:
        pytest.fail("the benchmark could not run (see its message above)")
    return json.loads(proc.stdout)


@pytest.mark.parametrize("db", [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.skipif(not PG_URL, reason="VOCAPP_TEST_DATABASE_URL is not set")),
])
def test_submissions_under_load_meet_the_requirement(db):
    results = run_benchmark(db)
    print(f"\n{render_table(results)}")
    failed = [f"{c['name']}: {c['measured']} (required {c['required']})" for c in results["criteria"]
              if not c["passed"]]
    assert not failed, f"{db}: " + "; ".join(failed)

"""The planning benchmark as a slow test (``make bench``): 100,000 closed requests in at most 20 s."""

from __future__ import annotations

import os

import pytest

from tests.perf import bench_plan

PG_URL = os.environ.get("VOCAPP_TEST_DATABASE_URL")

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(
    not PG_URL, reason="set VOCAPP_TEST_DATABASE_URL for the PostgreSQL run"))])
def test_planning_a_hundred_thousand_closed_requests_takes_at_most_twenty_seconds(db):
    argv = ["--db", db] + (["--database-url", PG_URL] if db == "postgres" else [])
    assert bench_plan.main(argv) == 0

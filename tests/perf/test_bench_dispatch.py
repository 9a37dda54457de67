"""The dispatch concurrency benchmark as a slow test (``make bench``): 2,000 invitations, 4 processes."""

from __future__ import annotations

import os

import pytest

from tests.perf import bench_dispatch

PG_URL = os.environ.get("VOCAPP_TEST_DATABASE_URL")

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.skipif(
    not PG_URL, reason="set VOCAPP_TEST_DATABASE_URL for the PostgreSQL run"))])
def test_four_dispatchers_two_thousand_invitations_no_duplicate_none_lost(db):
    result = bench_dispatch.run(db, invitations=2000, workers=4, fail_every=10, database_url=PG_URL,
                                say=print)
    print(f"{db}: {result.seconds:.1f} s, {result.rate:.0f} msg/s, {result.transient_failures} transient "
          f"failures, {result.duplicates} duplicates, {result.lost} lost")
    assert result.passed

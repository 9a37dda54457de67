"""The CSV import benchmark as a slow test (``make bench``): 50,000 rows/s and at most 3x sqlite3's ``.import``.

It runs tests/perf/bench_import.py on 300,000 rows (the full benchmark is a
million: ``.venv/bin/python tests/perf/bench_import.py``) and needs the LA
sample of ../shared/data.
"""

from __future__ import annotations

import pytest

from tests.perf import bench_import

pytestmark = pytest.mark.slow


def test_importing_la_rows_reaches_fifty_thousand_rows_a_second_within_three_times_sqlite_import(shared_data):
    assert bench_import.main(["--rows", "300000"]) == 0

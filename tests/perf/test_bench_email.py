"""The email delivery benchmark as a slow test: ``make bench`` (``pytest -m slow -s``) runs it, ``make test`` skips it.

It runs tests/perf/bench_email.py in a subprocess (its own SMTP server
process), prints its table and asserts the requirement's criteria: at least
300 messages/s over one reused connection, every message accepted, one
connection per sender.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.perf.bench_email import render_table

BENCH = Path(__file__).with_name("bench_email.py")

pytestmark = pytest.mark.slow


def test_email_throughput_over_one_connection_meets_the_requirement():
    # Two parallel connections as well, for comparison in the printed table.
    proc = subprocess.run([sys.executable, str(BENCH), "--messages", "3000", "--connections", "2", "--json"],
                          stdout=subprocess.PIPE, text=True, timeout=600, check=False)
    if proc.returncode == 2:
        pytest.fail("the benchmark could not run (see its message above)")
    results = json.loads(proc.stdout)
    print(f"\n{render_table(results)}")
    failed = [f"{c['name']}: {c['measured']} (required {c['required']})" for c in results["criteria"]
              if not c["passed"]]
    assert not failed, "; ".join(failed)

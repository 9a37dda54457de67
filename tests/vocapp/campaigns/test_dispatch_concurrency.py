"""Four dispatch processes, a mail server failing 10% of transactions: nothing lost, nothing sent twice."""

import pytest

from tests.conftest import PG_URL
from tests.perf import bench_dispatch


@pytest.mark.db
def test_four_dispatchers_deliver_every_invitation_exactly_once_despite_transient_failures():
    result = bench_dispatch.run("postgres" if PG_URL else "sqlite", invitations=240, workers=4, fail_every=10,
                                database_url=PG_URL)
    assert result.transient_failures >= 20  # the failures really happened, and were retried
    assert (result.duplicates, result.lost) == (0, 0)
    assert result.accepted == 240 and result.states == {"sent": 240}

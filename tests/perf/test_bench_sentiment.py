"""The sentiment benchmark as a slow test (``make bench``): dev-set F1, tweets r, throughput, language ID."""

from __future__ import annotations

import pytest

from tests.perf import bench_sentiment

pytestmark = pytest.mark.slow


def test_sentiment_reaches_its_dev_set_tweets_throughput_and_language_figures(shared_data):
    assert bench_sentiment.main([]) == 0

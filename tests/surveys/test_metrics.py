"""Scores and their intervals reproduce the published worked examples (../shared/data/stats/README.md)."""

import pytest

from surveys import metrics


@pytest.mark.parametrize(("x", "n", "low", "high"), [
    # S4: Newcombe (1998a), Statistics in Medicine 17:857, Table I, Wilson score interval.
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_s4_wilson_intervals(x, n, low, high):
    e = metrics.wilson(x, n)
    assert (round(e.low, 4), round(e.high, 4)) == (low, high)
    assert e.value == pytest.approx(x / n) and e.n == n


def test_s6_nps_margin_of_error():
    # promoters 1/2, passives 1/3, detractors 1/6 of n = 300
    values = [10] * 150 + [8] * 100 + [3] * 50
    assert round(metrics.nps(values).value, 1) == 33.3
    se, margin = metrics.nps_wald_margin(1 / 2, 1 / 6, 300)
    assert (round(se, 2), round(margin, 2)) == (4.30, 8.43)


def test_s7_nps_adjusted_wald():
    e = metrics.nps_adjusted_wald(150, 100, 50)
    assert (round(e.value, 1), round(e.low, 1), round(e.high, 1)) == (33.0, 24.6, 41.4)
    # nps() reports the observed score with that same interval
    observed = metrics.nps([9] * 150 + [7] * 100 + [0] * 50)
    assert (round(observed.low, 1), round(observed.high, 1)) == (24.6, 41.4)
    assert observed.n == 300


def test_csat_ces_top2box_count_the_top_of_their_scales():
    assert metrics.csat([1, 2, 3, 4, 5]).value == pytest.approx(2 / 5)
    assert metrics.ces([1, 4, 5, 6, 7]).value == pytest.approx(3 / 5)
    assert metrics.top2box([1, 2, 3, 4, 5, 6, 7], scale_max=7).value == pytest.approx(2 / 7)


def test_missing_answers_are_ignored_and_no_answers_give_an_empty_estimate():
    assert metrics.csat([5, None, 4]).n == 2
    empty = metrics.csat([])
    assert (empty.value, empty.low, empty.high, empty.n) == (None, None, None, 0)
    assert metrics.nps([]).value is None and metrics.mean([]).n == 0


def test_mean_of_one_value_has_no_interval():
    e = metrics.mean([4])
    assert e.value == 4 and e.low is None


def test_intervals_contain_the_estimate_and_stay_in_range():
    for values in ([5] * 10, [1] * 10, [1, 5] * 7):
        e = metrics.csat(values)
        assert 0 <= e.low <= e.value <= e.high <= 1
    e = metrics.nps([10] * 5)
    assert -100 <= e.low <= e.value <= e.high <= 100


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError):
        metrics.wilson(5, 3)

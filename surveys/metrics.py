"""Survey scores with confidence intervals.

Rates (CSAT, CES, top-2-box) are fractions 0..1 with Wilson score intervals;
NPS is in points (-100..100) with the adjusted-Wald interval of Rocks (2016);
means use the t interval.

Examples
--------
>>> e = csat([5, 4, 4, 2, 5, 3, 5, 4])
>>> round(e.value, 3), e.n
(0.75, 8)
>>> nps([10, 9, 8, 3, 10]).value
40.0
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist

__all__ = [
    "Estimate", "wilson", "proportion", "csat", "ces", "top2box", "mean", "nps", "nps_counts",
    "nps_adjusted_wald", "nps_wald_margin", "t_for", "z_for",
]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its confidence interval and the number of answers behind it.

    `value`, `low` and `high` are None when there is no answer at all.
    """

    value: float | None
    low: float | None
    high: float | None
    n: int

    @property
    def margin(self) -> float | None:
        """Half the width of the interval."""
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2


_EMPTY = Estimate(None, None, None, 0)


def z_for(confidence: float) -> float:
    """The two-sided normal quantile, e.g. 1.96 for 0.95."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def t_for(confidence: float, df: int) -> float:
    """The two-sided Student t quantile, e.g. 2.776 for 0.95 and 4 degrees of freedom.

    >>> round(t_for(0.95, 4), 3)
    2.776
    """
    from scipy.special import stdtrit  # lazy: scipy costs start-up time nobody needs before a mean

    return float(stdtrit(df, 0.5 + confidence / 2))


def wilson(successes: int, n: int, confidence: float = 0.95) -> Estimate:
    """The share `successes / n` with the Wilson score interval.

    Reproduces Newcombe (1998a), Table I:

    >>> e = wilson(81, 263)
    >>> round(e.low, 4), round(e.high, 4)
    (0.2553, 0.3662)
    >>> round(wilson(0, 20).high, 4)
    0.1611
    """
    if n <= 0:
        return _EMPTY
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n, got {successes} of {n}")
    z = z_for(confidence)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # The interval always contains p; clamp away rounding at p = 0 or 1.
    return Estimate(p, max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)), n)


def _clean(values: Iterable[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]


def proportion(values: Iterable[float | None], predicate, confidence: float = 0.95) -> Estimate:
    """The share of answers for which `predicate(value)` holds, Wilson interval."""
    xs = _clean(values)
    return wilson(sum(1 for x in xs if predicate(x)), len(xs), confidence)


def csat(values: Iterable[int | None], confidence: float = 0.95) -> Estimate:
    """Share satisfied: answers of 4 or 5 on the 1-5 satisfaction scale."""
    return proportion(values, lambda x: x >= 4, confidence)


def ces(values: Iterable[int | None], confidence: float = 0.95) -> Estimate:
    """Share who found it easy: 5, 6 or 7 on the 1-7 agreement scale ("the city made it easy")."""
    return proportion(values, lambda x: x >= 5, confidence)


def top2box(values: Iterable[int | None], scale_max: int = 5, confidence: float = 0.95) -> Estimate:
    """Share of answers in the top two points of a scale ending at `scale_max`."""
    return proportion(values, lambda x: x >= scale_max - 1, confidence)


def mean(values: Iterable[float | None], confidence: float = 0.95) -> Estimate:
    """The mean with a t interval (no interval for fewer than two answers).

    >>> e = mean([1, 2, 3, 4, 5])
    >>> e.value, round(e.low, 3), round(e.high, 3)
    (3.0, 1.037, 4.963)
    """
    xs = _clean(values)
    n = len(xs)
    if n == 0:
        return _EMPTY
    m = sum(xs) / n
    if n < 2:
        return Estimate(m, None, None, n)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (n - 1))
    half = t_for(confidence, n - 1) * sd / math.sqrt(n)
    return Estimate(m, m - half, m + half, n)


def nps_counts(values: Iterable[int | None]) -> tuple[int, int, int]:
    """(promoters 9-10, passives 7-8, detractors 0-6) of 0-10 answers."""
    xs = _clean(values)
    promoters = sum(1 for x in xs if x >= 9)
    detractors = sum(1 for x in xs if x <= 6)
    return promoters, len(xs) - promoters - detractors, detractors


def nps_adjusted_wald(promoters: int, passives: int, detractors: int, confidence: float = 0.95) -> Estimate:
    """NPS by the adjusted-Wald method (Rocks 2016): add 3/4 to promoters and detractors, 3 to n.

    Value and bounds are the adjusted estimate and its interval, in points:

    >>> e = nps_adjusted_wald(150, 100, 50)
    >>> round(e.value, 1), round(e.low, 1), round(e.high, 1)
    (33.0, 24.6, 41.4)
    """
    n = promoters + passives + detractors
    if n == 0:
        return _EMPTY
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    centre = p - d
    half = z_for(confidence) * math.sqrt((p + d - centre**2) / n_adj)
    return Estimate(100 * centre, 100 * max(-1.0, centre - half), 100 * min(1.0, centre + half), n)


def nps(values: Iterable[int | None], confidence: float = 0.95) -> Estimate:
    """Net Promoter Score in points: the observed score with the adjusted-Wald interval.

    The value is the plain score residents' answers give (what everyone
    quotes); the bounds are those of `nps_adjusted_wald`, which keep their
    coverage for small samples and extreme scores.
    """
    promoters, passives, detractors = nps_counts(values)
    n = promoters + passives + detractors
    if n == 0:
        return _EMPTY
    interval = nps_adjusted_wald(promoters, passives, detractors, confidence)
    return Estimate(100 * (promoters - detractors) / n, interval.low, interval.high, n)


def nps_wald_margin(p_promoters: float, p_detractors: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """(standard error, margin of error) of an NPS in points, by the plain Wald formula.

    Each respondent scores +1, 0 or -1, so the variance is p + d - (p - d)^2:

    >>> se, moe = nps_wald_margin(1/2, 1/6, 300)
    >>> round(se, 2), round(moe, 2)
    (4.3, 8.43)
    """
    variance = p_promoters + p_detractors - (p_promoters - p_detractors) ** 2
    se = 100 * math.sqrt(variance / n)
    return se, z_for(confidence) * se

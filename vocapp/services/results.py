"""Survey results: scoped response queries, counts, metrics with intervals, comments and CSV rows.

Metrics are computed from counts that SQL aggregates (GROUP BY question and
answer), never from every answer loaded into Python; multi-answer choices (a
JSON list) and submission times (bucketed by day in the city's time zone)
are streamed one column at a time.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute

from surveys.errors import DesignError
from surveys.languages import get as get_language
from surveys.languages import is_supported
from surveys.model import localized
from surveys.pii import mask_pii
from surveys.questions import DRIVERS, Kind, Question
from vocapp import labels
from vocapp.db import db
from vocapp.models import Answer, Response, ResponseSource, Survey, SurveyVersion, VersionStatus
from vocapp.pagination import Page
from vocapp.services.surveys import definition

if TYPE_CHECKING:
    from surveys.metrics import Estimate

__all__ = [
    "Filters", "Bar", "Metric", "Period", "Timeline", "Comment", "CommentPage", "QuestionResult", "Results",
    "published_versions", "versions_in_scope", "questions_in_scope", "summarize", "question_result",
    "comments", "format_estimate", "scope", "value_text", "text_conditions",
    "mean_from_counts", "options", "language_name", "COMMENTS_PER_PAGE", "KIND_LABELS", "SOURCE_LABELS",
]

#: Free-text answers shown per page of a question.
COMMENTS_PER_PAGE = 25
#: Ranges shorter than this many days are counted per day, longer ones per ISO week.
DAILY_UNDER_DAYS = 21
#: Ranges longer than this many days are counted per month.
MONTHLY_OVER_DAYS = 2 * 366
#: How far the over-time chart extends a date filter beyond the data (so a wide filter stays readable).
PADDING = timedelta(days=31)
#: Kinds whose answers are numbers (ratings, trust 1/0, fixed 1/0.5/0).
NUMERIC_KINDS = (Kind.CSAT, Kind.CES, Kind.NPS, Kind.LIKERT, Kind.TRUST5, Kind.TRUST, Kind.FIXED)
MULTI_KINDS = (Kind.DRIVERS, Kind.MULTI)
KIND_LABELS = {
    Kind.CSAT: "Satisfaction, 1–5", Kind.CES: "Effort: “it was easy”, 1–7", Kind.NPS: "Net Promoter, 0–10",
    Kind.LIKERT: "Agreement, 1–5", Kind.TRUST: "Trust, agree / disagree", Kind.TRUST5: "Trust, 1–5",
    Kind.DRIVERS: "Drivers, several answers", Kind.SINGLE: "One choice", Kind.MULTI: "Several choices",
    Kind.TEXT: "Free text", Kind.FIXED: "Was it fixed?",
}
SOURCE_LABELS = {
    ResponseSource.INVITATION: "Invitation",
    ResponseSource.PUBLIC: "Public link",
    ResponseSource.ASSISTED: "Entered by staff",
    ResponseSource.TEST: "Test",
}


# --- inputs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    """Which responses count: one version or all, a date range in the city's time zone, tests or not."""

    version: int | None = None
    start: date | None = None
    end: date | None = None
    include_tests: bool = False
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    def as_args(self) -> dict[str, str]:
        """The filters as URL query arguments (only the ones set)."""
        args = {"version": self.version, "start": self.start, "end": self.end,
                "tests": "1" if self.include_tests else None}
        return {k: str(v) for k, v in args.items() if v is not None}

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """[start, end) as UTC instants: local midnight of `start` and of the day after `end`."""
        low = datetime.combine(self.start, time.min, self.tz).astimezone(UTC) if self.start else None
        high = datetime.combine(self.end + timedelta(days=1), time.min, self.tz).astimezone(UTC) \
            if self.end else None
        return low, high


def published_versions(survey: Survey) -> list[SurveyVersion]:
    """The survey's published versions, oldest first."""
    return [v for v in survey.versions if v.status == VersionStatus.PUBLISHED]


def versions_in_scope(survey: Survey, filters: Filters) -> list[SurveyVersion]:
    """The published versions the filters cover (one, or all)."""
    return [v for v in published_versions(survey) if filters.version in (None, v.number)]


def questions_in_scope(versions: Sequence[SurveyVersion]) -> list[Question]:
    """Questions by key across versions: the newest version's order, then keys only older versions have.

    A key keeps its newest definition; choices that older versions offered are appended so their
    answers still have a label.
    """
    found: dict[str, Question] = {}
    for version in sorted(versions, key=lambda v: v.number, reverse=True):
        try:
            questions = definition(version).questions
        except DesignError:
            continue
        for q in questions:
            newer = found.get(q.key)
            if newer is None:
                found[q.key] = q
            elif newer.kind == q.kind and newer.kind.designer_choices:
                extra = tuple(c for c in q.choices if c.value not in newer.values)
                if extra:
                    found[q.key] = replace(newer, choices=newer.choices + extra)
    return list(found.values())


def scope(survey: Survey, filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE conditions on Response for the filters."""
    conditions: list[ColumnElement[bool]] = [Response.survey_id == survey.id]
    if filters.version is not None:
        ids = [v.id for v in versions_in_scope(survey, filters)] or [-1]
        conditions.append(Response.survey_version_id.in_(ids))
    low, high = filters.bounds()
    if low is not None:
        conditions.append(Response.submitted_at >= low)
    if high is not None:
        conditions.append(Response.submitted_at < high)
    if not filters.include_tests:
        conditions.append(Response.source != ResponseSource.TEST)
    return conditions


# --- outputs ----------------------------------------------------------------------------------

def _number(x: float, decimals: int) -> str:
    """`x` rounded for display, never "-0"."""
    return f"{round(x, decimals) + 0.0:.{decimals}f}"


def format_estimate(e: Estimate, unit: str, *, with_n: bool = True) -> str:
    """"82% (95% CI 78–85%), n = 412" for a percent, "12.5 (95% CI 3.1 to 21.0), n = 80" for NPS points
    (two decimals for a mean); "—" without answers.

    >>> from surveys.metrics import Estimate
    >>> format_estimate(Estimate(0.8234, 0.78, 0.851, 412), "percent")
    '82% (95% CI 78–85%), n = 412'
    >>> format_estimate(Estimate(None, None, None, 0), "mean")
    '—'
    """
    if e.value is None:
        return "—"
    if unit == "percent":
        text = f"{_number(100 * e.value, 0)}%"
        if e.low is not None and e.high is not None:
            text += f" (95% CI {_number(100 * e.low, 0)}–{_number(100 * e.high, 0)}%)"
    elif unit == "points":
        text = _number(e.value, 1)
        if e.low is not None and e.high is not None:
            text += f" (95% CI {_number(e.low, 1)} to {_number(e.high, 1)})"
    else:
        text = _number(e.value, 2)
        if e.low is not None and e.high is not None:
            text += f" (95% CI {_number(e.low, 2)} to {_number(e.high, 2)})"
    return f"{text}, n = {e.n}" if with_n else text


@dataclass(frozen=True)
class Metric:
    """A named score: `unit` is "percent" (0..1), "points" (NPS) or "mean"."""

    label: str
    estimate: Estimate
    unit: str = "percent"

    @property
    def text(self) -> str:
        return format_estimate(self.estimate, self.unit)


@dataclass(frozen=True)
class Bar:
    """One answer option: how many chose it and their share of the question's respondents."""

    value: str
    label: str
    count: int
    estimate: Estimate

    @property
    def share_text(self) -> str:
        """"40% (95% CI 28–53%)"."""
        return format_estimate(self.estimate, "percent", with_n=False)

    @property
    def note(self) -> str:
        """"12 (40%)": the label at the end of the bar."""
        share = self.estimate.value
        return f"{self.count} ({_number(100 * share, 0)}%)" if share is not None else str(self.count)


@dataclass(frozen=True)
class Period:
    """Responses submitted in one day, ISO week or month (local time)."""

    label: str
    start: date
    count: int


@dataclass(frozen=True)
class Timeline:
    """Responses over time; `unit` is "day", "week" or "month"."""

    unit: str
    periods: list[Period]


@dataclass(frozen=True)
class Comment:
    """One free-text answer (PII masked), with its sentiment label once the job has analysed it."""

    text: str
    submitted_at: datetime
    language: str
    response_id: int
    #: 'positive', 'neutral' or 'negative'; None until analysed.
    sentiment: str | None = None
    #: Names of the flags the text raised (see surveys.sentiment.FLAGS).
    flags: tuple[str, ...] = ()

    @property
    def language_name(self) -> str:
        return language_name(self.language)


#: One page of a question's free-text answers, newest first.
CommentPage = Page



@dataclass
class QuestionResult:
    """A question's numbers: metrics, the distribution of answers, or its comments."""

    question: Question
    text: str
    n: int
    metrics: list[Metric] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    comments: CommentPage | None = None

    @property
    def key(self) -> str:
        return self.question.key

    @property
    def kind(self) -> Kind:
        return self.question.kind

    @property
    def multiple(self) -> bool:
        return self.question.kind.multiple


@dataclass
class Results:
    """Everything the results page shows for one survey and filter."""

    total: int
    by_source: list[tuple[str, int]]
    by_channel: list[tuple[str, int]]
    by_language: list[tuple[str, int]]
    timeline: Timeline
    questions: list[QuestionResult]
    versions: list[int]


# --- count-based statistics -------------------------------------------------------------------

def _metrics():
    """`surveys.metrics`, imported on first use: it loads scipy, which app start-up need not wait for."""
    from surveys import metrics

    return metrics


def mean_from_counts(counts: Mapping[float, int], confidence: float = 0.95) -> Estimate:
    """`surveys.metrics.mean` computed from {value: count} instead of a list of values."""
    from scipy import stats

    metrics = _metrics()
    n = sum(counts.values())
    if n == 0:
        return metrics.Estimate(None, None, None, 0)
    m = sum(v * c for v, c in counts.items()) / n
    if n < 2:
        return metrics.Estimate(m, None, None, n)
    sd = math.sqrt(sum(c * (v - m) ** 2 for v, c in counts.items()) / (n - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)
    return metrics.Estimate(m, m - half, m + half, n)


def _share(counts: Mapping[float, int], predicate: Callable[[float], bool]) -> Estimate:
    """Wilson estimate of the share of answers whose value satisfies `predicate`."""
    return _metrics().wilson(sum(c for v, c in counts.items() if predicate(v)), sum(counts.values()))


def _nps(counts: Mapping[float, int]) -> Estimate:
    """The observed NPS with the adjusted-Wald interval, as `surveys.metrics.nps` gives it."""
    metrics = _metrics()
    promoters = sum(c for v, c in counts.items() if v >= 9)
    detractors = sum(c for v, c in counts.items() if v <= 6)
    n = sum(counts.values())
    if n == 0:
        return metrics.Estimate(None, None, None, 0)
    interval = metrics.nps_adjusted_wald(promoters, n - promoters - detractors, detractors)
    return metrics.Estimate(100 * (promoters - detractors) / n, interval.low, interval.high, n)


def _scale_metrics(kind: Kind, counts: Mapping[float, int]) -> list[Metric]:
    """The headline scores of a numeric question from its answer counts."""
    mean = Metric("Mean", mean_from_counts(counts), "mean")
    if kind == Kind.CSAT:
        return [Metric("CSAT (satisfied, 4–5)", _share(counts, lambda v: v >= 4)), mean]
    if kind == Kind.CES:
        return [Metric("Easy (5–7)", _share(counts, lambda v: v >= 5)), mean]
    if kind == Kind.NPS:
        return [Metric("NPS", _nps(counts), "points"),
                Metric("Promoters (9–10)", _share(counts, lambda v: v >= 9)),
                Metric("Detractors (0–6)", _share(counts, lambda v: v <= 6)), mean]
    if kind in (Kind.LIKERT, Kind.TRUST5):
        return [Metric("Top 2 box (4–5)", _share(counts, lambda v: v >= 4)), mean]
    if kind == Kind.TRUST:
        return [Metric("Agree", _share(counts, lambda v: v == 1))]
    if kind == Kind.FIXED:
        return [Metric("Yes", _share(counts, lambda v: v == 1)),
                Metric("Partly", _share(counts, lambda v: v == 0.5)),
                Metric("No", _share(counts, lambda v: v == 0))]
    return []


# --- answer options and their labels ----------------------------------------------------------

def _scale(names: Mapping[int, object], low: int, high: int) -> list[tuple[float, str]]:
    return [(float(i), f"{i} {names[i]}") for i in range(low, high + 1)]


def options(question: Question) -> list[tuple[float | str, str]]:
    """(stored value, English label) of every answer option, in scale order."""
    kind = question.kind
    if kind == Kind.CSAT:
        return _scale(labels.CSAT, 1, 5)
    if kind == Kind.CES:
        return _scale(labels.AGREE7, 1, 7)
    if kind in (Kind.LIKERT, Kind.TRUST5):
        return _scale(labels.AGREE5, 1, 5)
    if kind == Kind.NPS:
        return [(float(i), str(i)) for i in range(0, 11)]
    if kind == Kind.TRUST:
        return [(1.0, str(labels.TRUST["agree"])), (0.0, str(labels.TRUST["disagree"]))]
    if kind == Kind.FIXED:
        return [(1.0, str(labels.FIXED["yes"])), (0.5, str(labels.FIXED["partly"])), (0.0, str(labels.FIXED["no"]))]
    if kind == Kind.DRIVERS:
        return [(v, str(labels.DRIVERS[v])) for v in DRIVERS]
    if kind.designer_choices:
        return [(c.value, localized(c.label, "en") or c.value) for c in question.choices]
    return []


def _bars(question: Question, counts: Mapping[float | str, int], base: int) -> list[Bar]:
    """Bars in option order; choice values no definition knows are appended under their raw value."""
    known = options(question)
    if question.kind.designer_choices or question.kind == Kind.DRIVERS:
        values = {v for v, _ in known}
        known += [(v, str(v)) for v in sorted(counts, key=str) if v not in values]
    return [Bar(value_text(v), label, counts.get(v, 0), _metrics().wilson(counts.get(v, 0), base))
            for v, label in known]


def value_text(value: float | str) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- queries ------------------------------------------------------------------------------------

def _grouped(conditions: list[ColumnElement[bool]], column: InstrumentedAttribute,
             kinds: Sequence[Kind]) -> dict[tuple[str, str], dict]:
    """{(question_key, kind): {value: count}} by GROUP BY over the answers in scope."""
    query = (select(Answer.question_key, Answer.kind, column, func.count())
             .join(Response, Answer.response_id == Response.id)
             .where(*conditions, Answer.kind.in_([k.value for k in kinds]), column.is_not(None))
             .group_by(Answer.question_key, Answer.kind, column))
    found: dict[tuple[str, str], dict] = defaultdict(dict)
    for key, kind, value, count in db.session.execute(query):
        found[(key, kind)][value] = count
    return found


def _multi_counts(conditions: list[ColumnElement[bool]]) -> dict[tuple[str, str], tuple[Counter, int]]:
    """{(question_key, kind): (choice counts, respondents)}, streaming only the choices column."""
    query = (select(Answer.question_key, Answer.kind, Answer.choices)
             .join(Response, Answer.response_id == Response.id)
             .where(*conditions, Answer.kind.in_([k.value for k in MULTI_KINDS]))
             .execution_options(yield_per=1000))
    found: dict[tuple[str, str], tuple[Counter, int]] = {}
    for key, kind, choices in db.session.execute(query):
        if not choices:
            continue
        counter, respondents = found.get((key, kind), (Counter(), 0))
        counter.update(set(map(str, choices)))
        found[(key, kind)] = (counter, respondents + 1)
    return found


def text_conditions() -> list[ColumnElement[bool]]:
    """WHERE conditions on Answer for non-empty free-text answers (the comments)."""
    return [Answer.kind == Kind.TEXT.value, Answer.text.is_not(None), Answer.text != ""]


def _text_counts(conditions: list[ColumnElement[bool]]) -> dict[str, int]:
    """{question_key: number of non-empty free-text answers} in scope."""
    query = (select(Answer.question_key, func.count()).join(Response, Answer.response_id == Response.id)
             .where(*conditions, *text_conditions()).group_by(Answer.question_key))
    return {key: count for key, count in db.session.execute(query)}


def _totals(conditions: list[ColumnElement[bool]], column: InstrumentedAttribute) -> list[tuple[str, int]]:
    """(value, count) of responses by `column`, largest first."""
    query = select(column, func.count()).where(*conditions).group_by(column)
    rows = [(str(value.value if isinstance(value, ResponseSource) else value), count)
            for value, count in db.session.execute(query)]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def language_name(code: str) -> str:
    """"es (Spanish)" for a known code, else the code itself."""
    return f"{code} ({get_language(code).english})" if is_supported(code) else code


def _timeline(conditions: list[ColumnElement[bool]], filters: Filters) -> Timeline:
    """Responses per day, ISO week or month in the city's time zone (times streamed, bucketed here)."""
    days: Counter[date] = Counter()
    query = select(Response.submitted_at).where(*conditions).execution_options(yield_per=2000)
    for (submitted_at,) in db.session.execute(query):
        days[submitted_at.astimezone(filters.tz).date()] += 1
    if not days:
        return Timeline("day", [])
    first, last = min(days), max(days)
    low = max(filters.start, first - PADDING) if filters.start else first
    high = min(filters.end, last + PADDING) if filters.end else last
    span = (high - low).days + 1
    unit = "day" if span < DAILY_UNDER_DAYS else "week" if span <= MONTHLY_OVER_DAYS else "month"
    buckets: Counter[date] = Counter()
    for day, count in days.items():
        buckets[_bucket(day, unit)] += count
    periods, current = [], _bucket(low, unit)
    while current <= high:
        label = current.strftime("%Y-%m") if unit == "month" else current.isoformat()
        periods.append(Period(label, current, buckets.get(current, 0)))
        current = _next(current, unit)
    return Timeline(unit, periods)


def _bucket(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _next(start: date, unit: str) -> date:
    if unit == "week":
        return start + timedelta(days=7)
    if unit == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def comments(survey: Survey, filters: Filters, key: str, page: int = 1, total: int | None = None) -> CommentPage:
    """One page of a free-text question's answers, newest first, PII masked."""
    conditions = [*scope(survey, filters), Answer.question_key == key, *text_conditions()]
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(Answer)
                                  .join(Response, Answer.response_id == Response.id).where(*conditions)) or 0
    page = Page.clamp(page, total, COMMENTS_PER_PAGE)
    query = (select(Answer.text, Response.submitted_at, Response.language, Response.id, Answer.sentiment_label,
                    Answer.sentiment_flags)
             .join(Response, Answer.response_id == Response.id).where(*conditions)
             .order_by(Response.submitted_at.desc(), Answer.id.desc())
             .limit(COMMENTS_PER_PAGE).offset((page - 1) * COMMENTS_PER_PAGE))
    # Residents' contact details never reach a page.
    items = [Comment(mask_pii(text), at, lang, rid, label, tuple(flags or ()))
             for text, at, lang, rid, label, flags in db.session.execute(query)]
    return CommentPage(items, page, COMMENTS_PER_PAGE, total)


def question_result(survey: Survey, filters: Filters, key: str) -> QuestionResult | None:
    """The numbers of one non-text question (for its chart download), None when it has no chart."""
    question = next((q for q in questions_in_scope(versions_in_scope(survey, filters)) if q.key == key), None)
    if question is None or question.kind == Kind.TEXT:
        return None
    conditions = [*scope(survey, filters), Answer.question_key == key]
    return _results_for([question], conditions, survey, filters, {})[0]


def summarize(survey: Survey, filters: Filters, comment_pages: Mapping[str, int] | None = None) -> Results:
    """Totals, responses over time and every question's numbers for the survey under `filters`."""
    conditions = scope(survey, filters)
    versions = versions_in_scope(survey, filters)
    by_source = _totals(conditions, Response.source)
    return Results(
        total=sum(count for _, count in by_source),
        by_source=[(SOURCE_LABELS.get(ResponseSource(s), s), c) for s, c in by_source],
        by_channel=_totals(conditions, Response.channel),
        by_language=[(language_name(code), c) for code, c in _totals(conditions, Response.language)],
        timeline=_timeline(conditions, filters),
        questions=_results_for(questions_in_scope(versions), conditions, survey, filters, comment_pages or {}),
        versions=[v.number for v in versions],
    )


def _results_for(questions: Sequence[Question], conditions: list[ColumnElement[bool]], survey: Survey,
                 filters: Filters, comment_pages: Mapping[str, int]) -> list[QuestionResult]:
    """Each question's metrics and distribution, from a few aggregate queries shared by all of them."""
    kinds = {q.kind for q in questions}
    numeric = _grouped(conditions, Answer.number, NUMERIC_KINDS) if kinds & set(NUMERIC_KINDS) else {}
    single = _grouped(conditions, Answer.text, (Kind.SINGLE,)) if Kind.SINGLE in kinds else {}
    texts = _text_counts(conditions) if Kind.TEXT in kinds else {}
    multi = _multi_counts(conditions) if kinds & set(MULTI_KINDS) else {}
    results = []
    for q in questions:
        text = localized(q.text, "en")
        group = (q.key, q.kind.value)
        if q.kind in NUMERIC_KINDS:
            counts = {float(v): c for v, c in numeric.get(group, {}).items()}
            counts = {v: c for v, c in counts.items() if v in {value for value, _ in options(q)}}
            n = sum(counts.values())
            results.append(QuestionResult(q, text, n, _scale_metrics(q.kind, counts), _bars(q, counts, n)))
        elif q.kind == Kind.SINGLE:
            counts = {str(v): c for v, c in single.get(group, {}).items() if str(v)}
            n = sum(counts.values())
            results.append(QuestionResult(q, text, n, bars=_bars(q, counts, n)))
        elif q.kind in MULTI_KINDS:
            counter, respondents = multi.get(group, (Counter(), 0))
            results.append(QuestionResult(q, text, respondents, bars=_bars(q, counter, respondents)))
        else:
            n = texts.get(q.key, 0)
            page = comments(survey, filters, q.key, comment_pages.get(q.key, 1), total=n)
            results.append(QuestionResult(q, text, n, comments=page))
    return results

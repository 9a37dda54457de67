"""Sentiment of residents' free-text answers: scoring them, and reading them back for the results page.

Scoring. The resident's submission stores the text and nothing else (its
throughput is benchmarked); the scheduler's `sentiment` job (vocapp.jobs) asks
`pending()` for free-text answers not analysed by the current analyser
(`sentiment_version` NULL, or another `surveys.sentiment.VERSION`), scores them
with `analyse()` outside any write lock, and writes them with `store()`, a batch
at a time. A new analyser version therefore re-scores every answer. On
PostgreSQL the batch is claimed with FOR UPDATE SKIP LOCKED, so several
scheduler processes share the work instead of repeating it; on SQLite two
workers may score the same rows, which writes the same values twice.

Reading. `summarize()` gives the results page's sentiment section for a survey
under the page's filters and one optional *slice* (a department, service,
channel, ward or language): label shares with Wilson intervals, the same per
slice, flag counts, themes of the slice against the rest of the survey, and a
page of comments with their labels, PII masked. Comments not analysed yet are
counted as pending, never hidden. Services only read and flush; callers commit.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, select, update

from surveys.languages import is_supported
from surveys.metrics import Estimate, wilson
from surveys.pii import mask_pii
from vocapp.db import db
from vocapp.models import Answer, Department, Invitation, Response, ServiceRequest, Survey
from vocapp.pagination import Page
from vocapp.services import results as results_service
from vocapp.services.results import Bar, Filters

__all__ = [
    "BATCH", "LABELS", "LABEL_NAMES", "FLAG_NAMES", "DIMENSIONS", "COMMENTS_PER_PAGE", "THEME_SAMPLE",
    "LOW_CONFIDENCE", "Slice", "Query", "Shares", "SliceRow", "Breakdown", "SentimentComment",
    "SentimentResults", "current_version", "pending", "analyse", "store", "pending_count",
    "summarize", "detected_language_name",
]

#: Answers scored per batch (one commit each in the job).
BATCH = 1000
#: The labels, in the order pages show them.
LABELS = ("positive", "neutral", "negative")
LABEL_NAMES = {"positive": "Positive", "neutral": "Neutral", "negative": "Negative"}
#: What pages call each of surveys.sentiment.FLAGS.
FLAG_NAMES = {
    "closed_not_fixed": "Closed but not fixed",
    "still_waiting": "Still waiting",
    "repeat_contact": "Had to ask again",
    "staff_courtesy_positive": "Staff courteous",
    "staff_courtesy_negative": "Staff discourteous",
    "safety_risk": "Safety risk",
}
#: The slices a survey's comments can be cut by: {name: heading}.
DIMENSIONS = {"department": "Department", "service": "Service", "channel": "Channel", "ward": "Ward",
              "language": "Language"}
#: Comments per page of the sentiment section's list.
COMMENTS_PER_PAGE = 25
#: Themes read at most this many comments of the slice (and as many of the rest), the newest.
THEME_SAMPLE = 2000
#: Below this confidence the page says the label is uncertain (the scorer knows the language poorly).
LOW_CONFIDENCE = 0.5
#: Longest analyser version stored as is (the column's width); longer ones are stored as a hash.
_VERSION_WIDTH: int = Answer.__table__.c.sentiment_version.type.length


def _engine():
    """`surveys.sentiment`, imported on first use (it loads VADER's lexicon and the language model)."""
    from surveys import sentiment

    return sentiment


# --- scoring ------------------------------------------------------------------------------------

def current_version() -> str:
    """The analyser's VERSION as stored in `Answer.sentiment_version` (hashed if wider than the column)."""
    version = str(_engine().VERSION)
    if len(version) <= _VERSION_WIDTH:
        return version
    return "sha256:" + hashlib.sha256(version.encode()).hexdigest()[:_VERSION_WIDTH - 7]


def _not_analysed(version: str) -> ColumnElement[bool]:
    """Free-text answers not analysed by `version`: three range scans of ix_answers_kind_sentiment_version
    (`<>` would scan every text answer)."""
    column = Answer.sentiment_version
    return and_(Answer.kind == "text",
                or_(column.is_(None), column < version, column > version))


def pending(limit: int = BATCH, version: str | None = None) -> list[tuple[int, str | None]]:
    """Up to `limit` (answer id, text) of free-text answers that need scoring.

    On PostgreSQL the rows stay locked until the caller's commit and other workers skip them (SQLite has no
    row locks: SQLAlchemy leaves FOR UPDATE out there, as for vocapp.dispatch's claims).
    """
    query = (select(Answer.id, Answer.text).where(_not_analysed(version or current_version())).limit(limit)
             .with_for_update(skip_locked=True, of=Answer))
    return [(row.id, row.text) for row in db.session.execute(query)]


def pending_count(version: str | None = None) -> int:
    """How many free-text answers need scoring."""
    return db.session.scalar(select(func.count()).select_from(Answer)
                             .where(_not_analysed(version or current_version()))) or 0


def analyse(rows: Sequence[tuple[int, str | None]], mode: str = "domain") -> list[dict[str, Any]]:
    """Score (id, text) rows: the column values to store, one dict per row. Pure computation, no database."""
    if not rows:
        return []
    engine = _engine()
    version = current_version()
    scored = engine.analyze([text or "" for _, text in rows], mode=mode)
    return [{
        "id": answer_id,
        "sentiment_label": s.label,
        "sentiment_compound": float(s.compound),
        "sentiment_language": (s.language or "und")[:16],
        "sentiment_flags": list(s.flags),
        "sentiment_confidence": float(s.confidence),
        "sentiment_version": version,
    } for (answer_id, _), s in zip(rows, scored, strict=True)]


def store(values: Sequence[dict[str, Any]]) -> None:
    """Write scored rows (an UPDATE by primary key for the batch) and flush."""
    if values:
        db.session.execute(update(Answer), list(values))
    db.session.flush()


# --- reading: slices ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Slice:
    """Responses sharing one value of a dimension; `value` None means "not known" (e.g. no 311 request)."""

    dimension: str
    value: str | None

    @property
    def arg(self) -> str:
        """The slice as a URL argument: "channel:sms", "ward:" for an unknown ward."""
        return f"{self.dimension}:{self.value or ''}"

    @classmethod
    def parse(cls, raw: str) -> Slice | None:
        """The slice of a URL argument, None when it names no dimension."""
        dimension, sep, value = raw.partition(":")
        if not sep or dimension not in DIMENSIONS or len(value) > 200:
            return None
        return cls(dimension, value or None)


def _dimension_column(dimension: str) -> ColumnElement:
    return {
        "department": Response.department_id,
        "service": func.coalesce(ServiceRequest.service_name, ServiceRequest.service_code),
        "channel": Response.channel,
        "ward": ServiceRequest.ward,
        "language": Response.language,
    }[dimension]


def _department_id(value: str) -> int | None:
    """The department id a department slice names, None when it names none ("abc", "²")."""
    return int(value) if value.isascii() and value.isdigit() else None


def _slice_condition(s: Slice) -> ColumnElement[bool]:
    column = _dimension_column(s.dimension)
    if s.value is None:
        return column.is_(None)
    if s.dimension == "department":
        department_id = _department_id(s.value)
        return column == (-1 if department_id is None else department_id)
    return column == s.value


def _outside(s: Slice) -> ColumnElement[bool]:
    """Everything not in the slice (unknown values included)."""
    column = _dimension_column(s.dimension)
    if s.value is None:
        return column.is_not(None)
    return or_(column.is_(None), ~_slice_condition(s))


def _needs_request(dimension: str) -> bool:
    """Whether the dimension is a column of the 311 request behind the response."""
    return dimension in ("service", "ward")


def _from(query, *, request: bool):
    """`query` over answers and their responses (and the 311 request behind them, when asked)."""
    query = query.select_from(Answer).join(Response, Answer.response_id == Response.id)
    if request:
        query = (query.outerjoin(Invitation, Response.invitation_id == Invitation.id)
                 .outerjoin(ServiceRequest, Invitation.service_request_id == ServiceRequest.id))
    return query


def _value_text(dimension: str, value: Any, departments: dict[int, str]) -> str:
    if value is None:
        return {"service": "No 311 request", "ward": "Not known"}.get(dimension, "Not known")
    if dimension == "department":
        return departments.get(value, f"Department {value}")
    if dimension == "language":
        return results_service.language_name(str(value))
    return str(value)


# --- reading: outputs ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    """What the sentiment section shows: a slice (None = the whole survey), and the comment list's filters."""

    slice: Slice | None = None
    #: Comments with this label only, or "pending" for those not analysed yet.
    label: str | None = None
    #: Comments raising this flag only.
    flag: str | None = None
    page: int = 1

    def as_args(self, **changes: Any) -> dict[str, str]:
        """The query as URL arguments (only the ones set), with `changes` applied."""
        values = {"slice": self.slice.arg if self.slice else None, "sentiment": self.label, "flag": self.flag,
                  "spage": self.page if self.page > 1 else None}
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v is not None}


@dataclass(frozen=True)
class Shares:
    """Comments by label: counts, and each label's share of the analysed ones with its Wilson interval."""

    counts: dict[str, int]
    pending: int

    @property
    def analysed(self) -> int:
        return sum(self.counts.get(label, 0) for label in LABELS)

    @property
    def total(self) -> int:
        return self.analysed + self.pending

    def estimate(self, label: str) -> Estimate:
        return wilson(self.counts.get(label, 0), self.analysed)

    def text(self, label: str) -> str:
        """"40% (95% CI 28–53%)", or "—" when nothing is analysed."""
        return results_service.format_estimate(self.estimate(label), "percent", with_n=False)

    def bars(self) -> list[Bar]:
        """One bar per label (LABELS order): its name, count and share, as the question charts have them."""
        return [Bar(label, LABEL_NAMES[label], self.counts.get(label, 0), self.estimate(label)) for label in LABELS]

    @classmethod
    def of(cls, rows: Iterable[tuple[str | None, int]]) -> Shares:
        """The shares of (label, count) rows; a None label counts as pending."""
        counts: dict[str, int] = {}
        waiting = 0
        for label, count in rows:
            if label is None:
                waiting += count
            else:
                counts[label] = counts.get(label, 0) + count
        return cls(counts, waiting)


@dataclass(frozen=True)
class SliceRow:
    """One value of a dimension: its comments' shares, and the slice to select it."""

    slice: Slice
    label: str
    shares: Shares


@dataclass(frozen=True)
class Breakdown:
    """Sentiment by one dimension, largest slice first."""

    dimension: str
    title: str
    rows: list[SliceRow]


@dataclass(frozen=True)
class SentimentComment:
    """One comment as the page lists it: masked text, and its analysis (None while pending)."""

    text: str
    question_key: str
    submitted_at: datetime
    response_language: str
    label: str | None
    compound: float | None
    language: str | None
    flags: tuple[str, ...]
    confidence: float | None

    @property
    def pending(self) -> bool:
        return self.label is None

    @property
    def label_name(self) -> str:
        return LABEL_NAMES.get(self.label or "", "Pending analysis")

    @property
    def flag_names(self) -> list[str]:
        return [FLAG_NAMES.get(f, f) for f in self.flags]

    @property
    def lang(self) -> str:
        """The `lang` attribute of the text: the detected language, else the response's."""
        return self.language if self.language and self.language != "und" else self.response_language

    @property
    def language_name(self) -> str:
        if self.language is None:
            return results_service.language_name(self.response_language)
        return detected_language_name(self.language)

    @property
    def uncertain(self) -> bool:
        return self.confidence is not None and self.confidence < LOW_CONFIDENCE


@dataclass
class SentimentResults:
    """The sentiment section of a results page."""

    query: Query
    #: "Whole survey", or e.g. "Channel: sms".
    slice_label: str
    shares: Shares
    breakdowns: list[Breakdown]
    #: Dimensions left out of `breakdowns` because every comment has the same value: (title, value).
    uniform: list[tuple[str, str]]
    #: Each flag (value: its name in surveys.sentiment.FLAGS) with how many analysed comments raise it.
    flags: list[Bar]
    #: surveys.themes.Theme, most telling first.
    themes: list[Any]
    #: How many comments of the slice the themes read (at most THEME_SAMPLE), and of the rest.
    theme_comments: int
    theme_background: int
    comments: Page

    @property
    def themes_sampled(self) -> bool:
        return self.theme_comments >= THEME_SAMPLE


def detected_language_name(code: str) -> str:
    """"es (Spanish)", "zh (Chinese)"; "Not recognised" for "und"."""
    if not code or code == "und":
        return "Not recognised"
    if is_supported(code):
        return results_service.language_name(code)
    try:
        from babel import Locale

        return f"{code} ({Locale.parse(code.replace('-', '_')).english_name})"
    except (ValueError, TypeError, LookupError):
        return code


def _breakdowns(conditions: list[ColumnElement[bool]]) -> tuple[list[Breakdown], list[tuple[str, str]]]:
    departments = {dept_id: name for dept_id, name in db.session.execute(select(Department.id, Department.name))}
    made, uniform = [], []
    for dimension, title in DIMENSIONS.items():
        column = _dimension_column(dimension).label("value")
        query = _from(select(column, Answer.sentiment_label, func.count()), request=_needs_request(dimension)) \
            .where(*conditions).group_by(column, Answer.sentiment_label)
        groups: dict[Any, list[tuple[str | None, int]]] = defaultdict(list)
        for value, label, count in db.session.execute(query):
            groups[value].append((label, count))
        if not groups:
            continue
        if len(groups) == 1:
            (value,) = groups
            uniform.append((title, _value_text(dimension, value, departments)))
            continue
        rows = [SliceRow(Slice(dimension, None if value is None else str(value)),
                         _value_text(dimension, value, departments), Shares.of(pairs))
                for value, pairs in groups.items()]
        rows.sort(key=lambda r: (r.slice.value is None, -r.shares.total, r.label))
        made.append(Breakdown(dimension, title, rows))
    return made, uniform


def _flags(conditions: list[ColumnElement[bool]], analysed: int, request: bool) -> list[Bar]:
    """Every flag with its count among the analysed comments (the flags column streamed)."""
    counter: Counter[str] = Counter()
    query = _from(select(Answer.sentiment_flags), request=request) \
        .where(*conditions, Answer.sentiment_label.is_not(None)).execution_options(yield_per=2000)
    for (flags,) in db.session.execute(query):
        if flags:
            counter.update(set(flags))
    names = list(FLAG_NAMES) + sorted(set(counter) - set(FLAG_NAMES))
    return [Bar(name, FLAG_NAMES.get(name, name), counter[name], wilson(counter[name], analysed)) for name in names]


def _theme_comments(conditions: list[ColumnElement[bool]], request: bool, filters: Filters) -> list:
    """The newest THEME_SAMPLE analysed comments under `conditions`, as surveys.themes.Comment."""
    from surveys.themes import Comment as ThemeComment

    query = (_from(select(Answer.text, Answer.sentiment_language, Answer.sentiment_compound, Response.language,
                          Response.submitted_at), request=request)
             .where(*conditions, Answer.sentiment_label.is_not(None))
             .order_by(Response.submitted_at.desc(), Answer.id.desc()).limit(THEME_SAMPLE))
    return [ThemeComment(text, language=lang if lang and lang != "und" else response_lang.split("-")[0],
                         compound=compound or 0.0, when=at.astimezone(filters.tz).date())
            for text, lang, compound, response_lang, at in db.session.execute(query)]


def _themes(base: list[ColumnElement[bool]], in_slice: list[ColumnElement[bool]], chosen: Slice | None,
            request: bool, filters: Filters, today: date | None) -> tuple[list[Any], int, int]:
    """Themes of the slice's comments (`in_slice`) against the rest of the survey's (`base` outside the slice)."""
    from surveys.themes import extract_themes

    inside = _theme_comments(in_slice, request, filters)
    if not inside:
        return [], 0, 0
    background = _theme_comments([*base, _outside(chosen)], request, filters) if chosen else []
    themes = extract_themes(inside, background, top=10, min_count=3, today=today)
    return list(themes), len(inside), len(background)


def _comment_page(conditions: list[ColumnElement[bool]], query: Query, request: bool) -> Page:
    """One page of the slice's comments, newest first, filtered by label and flag, PII masked."""
    conditions = list(conditions)
    if query.label == "pending":
        conditions.append(Answer.sentiment_label.is_(None))
    elif query.label:
        conditions.append(Answer.sentiment_label == query.label)
    if query.flag:
        # Flags are plain identifiers inside a JSON list: a LIKE on its text works on every backend.
        conditions.append(cast(Answer.sentiment_flags, Text).contains(f'"{query.flag}"', autoescape=True))
    total = db.session.scalar(_from(select(func.count()), request=request).where(*conditions)) or 0
    page = Page.clamp(query.page, total, COMMENTS_PER_PAGE)
    rows = db.session.execute(
        _from(select(Answer.text, Answer.question_key, Response.submitted_at, Response.language,
                     Answer.sentiment_label, Answer.sentiment_compound, Answer.sentiment_language,
                     Answer.sentiment_flags, Answer.sentiment_confidence), request=request)
        .where(*conditions).order_by(Response.submitted_at.desc(), Answer.id.desc())
        .limit(COMMENTS_PER_PAGE).offset((page - 1) * COMMENTS_PER_PAGE))
    items = [SentimentComment(mask_pii(r.text), r.question_key, r.submitted_at, r.language, r.sentiment_label,
                              r.sentiment_compound, r.sentiment_language, tuple(r.sentiment_flags or ()),
                              r.sentiment_confidence) for r in rows]
    return Page(items, page, COMMENTS_PER_PAGE, total)


def slice_label(chosen: Slice | None) -> str:
    """"Whole survey", or "Channel: sms"."""
    if chosen is None:
        return "Whole survey"
    if chosen.dimension == "department" and chosen.value:
        department_id = _department_id(chosen.value)
        dept = db.session.get(Department, department_id) if department_id is not None else None
        return f"Department: {dept.name if dept else chosen.value}"
    return f"{DIMENSIONS[chosen.dimension]}: {_value_text(chosen.dimension, chosen.value, {})}"


def summarize(survey: Survey, filters: Filters, query: Query = Query(), today: date | None = None
              ) -> SentimentResults:
    """The sentiment section for `survey` under `filters` and `query` (see the module's docstring)."""
    base = [*results_service.scope(survey, filters), *results_service.text_conditions()]
    chosen = query.slice
    in_slice = [*base, _slice_condition(chosen)] if chosen else base
    request = chosen is not None and _needs_request(chosen.dimension)
    shares = Shares.of(db.session.execute(_from(select(Answer.sentiment_label, func.count()), request=request)
                                          .where(*in_slice).group_by(Answer.sentiment_label)))
    breakdowns, uniform = _breakdowns(base)
    if today is not None and filters.end is not None:
        today = min(today, filters.end)  # growth is measured up to the end of the chosen period
    themes, n_inside, n_background = _themes(base, in_slice, chosen, request, filters, today) \
        if shares.analysed else ([], 0, 0)
    return SentimentResults(
        query=query, slice_label=slice_label(chosen), shares=shares, breakdowns=breakdowns, uniform=uniform,
        flags=_flags(in_slice, shares.analysed, request) if shares.analysed else [],
        themes=themes, theme_comments=n_inside, theme_background=n_background,
        comments=_comment_page(in_slice, query, request),
    )

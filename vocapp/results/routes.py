"""Results of one survey: the page, the CSV export of responses and chart downloads (every staff role)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from vocapp import charts
from vocapp.access import get_scoped_or_404
from vocapp.db import db
from vocapp.models import Survey
from vocapp.results import bp
from vocapp.results.forms import comment_pages, parse_filters, parse_sentiment
from vocapp.services import audit
from vocapp.services import export as csv_export
from vocapp.services import results as service
from vocapp.services import sentiment as sentiment_service
from vocapp.services.results import Bar, Filters, QuestionResult, Results
from vocapp.services.sentiment import SentimentResults

TIMELINE_TITLES = {"day": "Responses per day", "week": "Responses per ISO week (weeks start on Monday)",
                   "month": "Responses per month"}


def _filters(survey: Survey) -> tuple[Filters, dict[str, str]]:
    """The request's filters for `survey`, and the messages of bad values."""
    published = [v.number for v in service.published_versions(survey)]
    return parse_filters(request.args, published, ZoneInfo(current_app.config["TIMEZONE"]))


def _bad_filters(errors: dict[str, str]) -> Response:
    """400 with the filter problems as plain text (for downloads)."""
    return Response("\n".join(errors.values()) + "\n", status=400, mimetype="text/plain")


def _slug(text: str) -> str:
    """A file-name-safe form of `text`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50] or "survey"


def _download(body: bytes | str | Iterator[str], mimetype: str, filename: str) -> Response:
    """An attachment that no shared cache keeps (results carry residents' answers)."""
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _bars_svg(title: str, bars: Sequence[Bar], id_prefix: str, *, standalone: bool = False) -> str:
    """A distribution chart of `bars` (label, count and note of each) as SVG."""
    return charts.distribution_svg(title, [b.label for b in bars], [b.count for b in bars], [b.note for b in bars],
                                   id_prefix=id_prefix, standalone=standalone)


def _chart_svg(q: QuestionResult, *, standalone: bool = False) -> str:
    """The distribution chart of `q` as SVG."""
    return _bars_svg(q.text, q.bars, f"chart-{q.key}", standalone=standalone)


def _inline_charts(results: Results, sentiment: SentimentResults | None = None) -> dict[str, Markup]:
    """Inline SVG per answered non-text question, "_timeline" and "_sentiment" (our own clean markup, not
    user HTML)."""
    made = {q.key: Markup(_chart_svg(q)) for q in results.questions if q.bars and q.n}  # noqa: S704
    periods = results.timeline.periods
    if periods:
        made["_timeline"] = Markup(charts.timeline_svg(  # noqa: S704
            TIMELINE_TITLES[results.timeline.unit], [p.label for p in periods], [p.count for p in periods]))
    if sentiment is not None and sentiment.shares.analysed:
        made["_sentiment"] = Markup(_bars_svg(  # noqa: S704
            f"Sentiment of comments: {sentiment.slice_label}", sentiment.shares.bars(), "chart-sentiment"))
    return made


@bp.get("/<int:survey_id>/results")
@login_required
def page(survey_id: int):
    """Totals, responses over time, sentiment of the comments, and every question's metrics, distribution or
    comments."""
    survey = get_scoped_or_404(Survey, survey_id)
    filters, errors = _filters(survey)
    query, sentiment_errors = parse_sentiment(request.args)
    errors = {**errors, **sentiment_errors}
    context = {"survey": survey, "filters": filters, "errors": errors, "args": request.args,
               "versions": service.published_versions(survey), "survey_url": url_for("design.detail", survey_id=survey.id),
               "timeline_titles": TIMELINE_TITLES, "kind_labels": service.KIND_LABELS,
               "sentiment_labels": sentiment_service.LABEL_NAMES, "flag_names": sentiment_service.FLAG_NAMES,
               "query": query}
    if errors:
        return render_template("results/page.html", results=None, sentiment=None, charts={}, **context), 400
    pages = comment_pages(request.args)
    results = service.summarize(survey, filters, pages)
    today = datetime.now(filters.tz).date()
    sentiment = sentiment_service.summarize(survey, filters, query, today=today) if results.versions else None

    def page_url(key: str, number: int) -> str:
        """This page with question `key`'s comments at page `number` (other filters and pages kept)."""
        args = {**filters.as_args(), **query.as_args(),
                **{f"page_{k}": v for k, v in {**pages, key: number}.items()}}
        return url_for(".page", survey_id=survey.id, _anchor=f"q-{key}", **args)

    def sentiment_url(**changes) -> str:
        """This page's sentiment section with its query changed (a new slice or filter starts at page 1)."""
        changes.setdefault("spage", None)
        return url_for(".page", survey_id=survey.id, _anchor="sentiment-section",
                       **filters.as_args(), **query.as_args(**changes))

    return render_template("results/page.html", results=results, sentiment=sentiment,
                           charts=_inline_charts(results, sentiment), page_url=page_url,
                           sentiment_url=sentiment_url, **context)


@bp.get("/<int:survey_id>/results.csv")
@login_required
def export(survey_id: int):
    """Every response in scope as CSV, streamed row by row."""
    survey = get_scoped_or_404(Survey, survey_id)
    filters, errors = _filters(survey)
    if errors:
        return _bad_filters(errors)
    today = datetime.now(ZoneInfo(current_app.config["TIMEZONE"]))
    filename = f"survey-{survey.id}-{_slug(survey.name)}-responses-{today:%Y%m%d}.csv"
    # Exports take residents' words out of the system: record who took them, with which filters.
    audit.record(current_user, "survey.export", survey, label=survey.name, department_id=survey.department_id,
                 changes={"filters": request.query_string.decode("utf-8", "replace") or "(none)"})
    db.session.commit()
    rows = csv_export.export_csv(survey, filters)  # reads the survey now, streams rows later
    return _download(stream_with_context(rows), "text/csv", filename)


@bp.get("/<int:survey_id>/results/<key>.<any(png, svg):fmt>")
@login_required
def chart(survey_id: int, key: str, fmt: str):
    """One question's distribution chart as a PNG or SVG download."""
    survey = get_scoped_or_404(Survey, survey_id)
    filters, errors = _filters(survey)
    if errors:
        return _bad_filters(errors)
    result = service.question_result(survey, filters, key)
    if result is None:
        abort(404)
    filename = f"survey-{survey.id}-{_slug(key)}.{fmt}"
    if fmt == "png":
        body = charts.distribution_png(result.text, [b.label for b in result.bars],
                                       [b.count for b in result.bars], [b.note for b in result.bars])
        return _download(body, "image/png", filename)
    return _download(_chart_svg(result, standalone=True), "image/svg+xml", filename)

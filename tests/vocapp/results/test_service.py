"""The results service and filter parsing, without the web layer."""

from __future__ import annotations

from dataclasses import astuple
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from surveys import metrics
from surveys.questions import Choice, Kind, Question
from vocapp.db import db
from vocapp.models import Survey
from vocapp.results.forms import comment_pages, parse_filters
from vocapp.services import export
from vocapp.services import results as service
from vocapp.services import surveys as design


@pytest.mark.parametrize("values", [[1, 2, 3, 4, 5], [5, 5, 4], [7], [0, 10, 10, 9, 3, 6, 8], []])
def test_mean_from_counts_equals_the_mean_of_the_values(values):
    counts = {float(v): values.count(v) for v in set(values)}
    assert astuple(service.mean_from_counts(counts)) == pytest.approx(astuple(metrics.mean(values)))


def test_estimates_are_formatted_as_the_page_shows_them():
    assert service.format_estimate(metrics.wilson(81, 263), "percent") == "31% (95% CI 26–37%), n = 263"
    assert service.format_estimate(metrics.nps([10, 9, 8, 3, 10]), "points") == \
        f"40.0 (95% CI {metrics.nps([10, 9, 8, 3, 10]).low:.1f} to {metrics.nps([10, 9, 8, 3, 10]).high:.1f}), n = 5"
    assert service.format_estimate(metrics.mean([4]), "mean") == "4.00, n = 1"
    assert service.format_estimate(metrics.wilson(0, 0), "percent") == "—"


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\tx", "\rx"])
def test_formula_cells_are_prefixed_with_a_quote(cell):
    assert export.neutralize(cell) == "'" + cell


def test_ordinary_cells_are_left_alone():
    assert [export.neutralize(c) for c in ("", "fine", "3", "a=b", "2024-03-05T09:30:00+00:00")] == \
        ["", "fine", "3", "a=b", "2024-03-05T09:30:00+00:00"]


def test_dates_are_whole_days_in_the_city_time_zone():
    tz = ZoneInfo("America/New_York")
    filters, errors = parse_filters({"start": "2024-03-10", "end": "2024-03-10", "tests": "on"}, [1], tz)
    assert errors == {} and filters.include_tests
    low, high = filters.bounds()
    # 10 March 2024 is the day New York moves its clocks forward: a 23-hour day.
    assert low == datetime(2024, 3, 10, 5, tzinfo=UTC) and high == datetime(2024, 3, 11, 4, tzinfo=UTC)
    assert filters.as_args() == {"start": "2024-03-10", "end": "2024-03-10", "tests": "1"}


def test_empty_filters_mean_everything_but_tests():
    filters, errors = parse_filters({"version": "", "start": "", "tests": "0"}, [1, 2], ZoneInfo("UTC"))
    assert errors == {} and filters == service.Filters()
    assert filters.bounds() == (None, None) and filters.as_args() == {}


def test_comment_pages_ignore_unusable_numbers():
    assert comment_pages({"page_comment": "3", "page_why": "-1", "page_x": "²", "page_y": "9" * 9,
                          "start": "2024-01-01"}) == {"comment": 3, "why": 1, "x": 1, "y": 1}


def test_long_ranges_are_counted_per_month(app, published, answer):
    survey_id = published("post_service")
    answer(survey_id, {"csat": 4}, submitted_at=datetime(2022, 1, 15, tzinfo=UTC))
    answer(survey_id, {"csat": 4}, {"csat": 2}, submitted_at=datetime(2024, 3, 5, tzinfo=UTC))
    with app.app_context():
        timeline = service.summarize(db.session.get(Survey, survey_id), service.Filters()).timeline
    assert timeline.unit == "month"
    assert timeline.periods[0] == service.Period("2022-01", date(2022, 1, 1), 1)
    assert timeline.periods[-1] == service.Period("2024-03", date(2024, 3, 1), 2)
    assert len(timeline.periods) == 27 and sum(p.count for p in timeline.periods) == 3


def test_answers_to_a_choice_a_newer_version_dropped_keep_their_label(app, published, answer):
    old = Question(key="how", kind=Kind.SINGLE, text={"en": "How did you reach us?"},
                   choices=(Choice("phone", {"en": "By phone"}), Choice("fax", {"en": "By fax"})))
    survey_id = published(template=None, name="Contact", questions=(old,))
    answer(survey_id, {"how": "fax"}, {"how": "phone"})
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        new = Question(key="how", kind=Kind.SINGLE, text={"en": "How did you reach us?"},
                       choices=(Choice("app", {"en": "With the app"}), Choice("phone", {"en": "By phone"})))
        design.replace_question(None, survey, "how", new)
        design.publish(None, survey)
        db.session.commit()
    answer(survey_id, {"how": "app"})
    with app.app_context():
        (how,) = service.summarize(db.session.get(Survey, survey_id), service.Filters()).questions
    assert [(b.label, b.count) for b in how.bars] == [("With the app", 1), ("By phone", 1), ("By fax", 1)]
    assert how.n == 3

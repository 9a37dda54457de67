"""The sentiment section's service and argument parsing, without the web layer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

import surveys.sentiment
from vocapp.db import db
from vocapp.models import ResponseSource, Survey
from vocapp.results.forms import parse_sentiment
from vocapp.services import sentiment as service
from vocapp.services.results import Filters
from vocapp.services.sentiment import Query, Slice


def test_every_flag_of_the_analyser_has_a_name_on_the_pages():
    assert tuple(service.FLAG_NAMES) == surveys.sentiment.FLAGS


@pytest.mark.parametrize(("raw", "expected"), [
    ("channel:sms", Slice("channel", "sms")),
    ("ward:CD 1", Slice("ward", "CD 1")),
    ("service:", Slice("service", None)),
    ("service:Metal/Household: Appliances", Slice("service", "Metal/Household: Appliances")),
    ("postcode:90012", None),
    ("channel", None),
    ("", None),
])
def test_slices_are_read_from_dimension_colon_value(raw, expected):
    assert Slice.parse(raw) == expected
    if expected is not None:
        assert Slice.parse(expected.arg) == expected


def test_sentiment_arguments_are_parsed_with_a_message_per_unusable_one():
    query, errors = parse_sentiment({"slice": "language:es", "sentiment": "Negative", "flag": "safety_risk",
                                     "spage": "3"})
    assert errors == {}
    assert query == Query(Slice("language", "es"), "negative", "safety_risk", 3)
    assert query.as_args() == {"slice": "language:es", "sentiment": "negative", "flag": "safety_risk", "spage": "3"}
    assert query.as_args(slice=None, spage=None) == {"sentiment": "negative", "flag": "safety_risk"}
    query, errors = parse_sentiment({"slice": "zip:1", "sentiment": "angry", "flag": "x", "spage": "-2"})
    assert set(errors) == {"slice", "sentiment", "flag"} and query == Query()


def test_the_page_filters_apply_to_the_sentiment_too(app, published, answer, score):
    survey_id = published("post_service")
    answer(survey_id, {"comment": "Thank you, great crew!"}, submitted_at=datetime(2024, 3, 1, 12, tzinfo=UTC))
    answer(survey_id, {"comment": "Nobody came, awful."}, submitted_at=datetime(2024, 3, 20, 12, tzinfo=UTC))
    answer(survey_id, {"comment": "Test: terrible, awful, horrible."}, source=ResponseSource.TEST, channel="test")
    score()
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        march = service.summarize(survey, Filters(start=date(2024, 3, 1), end=date(2024, 3, 10)))
        assert march.shares.counts == {"positive": 1} and march.shares.pending == 0
        everything = service.summarize(survey, Filters())
        assert everything.shares.analysed == 2  # the test response stays out
        with_tests = service.summarize(survey, Filters(include_tests=True))
        assert with_tests.shares.counts.get("negative") == 2


def test_a_department_slice_and_an_unknown_value_select_nothing_odd(app, published, answer, score):
    survey_id = published("post_service")
    answer(survey_id, {"comment": "Thank you!"})
    score()
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        own = service.summarize(survey, Filters(), Query(Slice("department", str(survey.department_id))))
        assert own.shares.analysed == 1 and own.slice_label == "Department: Streets"
        for odd in ("²", "abc", "999"):
            assert service.summarize(survey, Filters(), Query(Slice("department", odd))).shares.total == 0
        assert service.summarize(survey, Filters(), Query(Slice("channel", "fax"))).shares.total == 0

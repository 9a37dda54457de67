"""The results page: metrics with intervals, distributions, filters, comments and inline charts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from surveys import metrics
from surveys.questions import Kind, Question
from tests.vocapp.results.reading import metric, row, section, svgs, total
from vocapp.db import db
from vocapp.models import Department, ResponseSource, Survey
from vocapp.services import surveys as design

CSAT = [5, 4, 4, 2, 5, 3, 5, 4, 1, 5]
CES = [7, 6, 2, 5, 4, 6, 7, 1, 6, 5]
FIXED = ["yes", "yes", "partly", "no", "yes", "no", "yes", "yes", "partly", "yes"]
NPS = [10, 9, 8, 3, 10, 6, 9, 7, 0, 10, 9, 2]


def percent(e: metrics.Estimate) -> str:
    return f"{e.value * 100:.0f}% (95% CI {e.low * 100:.0f}–{e.high * 100:.0f}%), n = {e.n}"


def mean(e: metrics.Estimate) -> str:
    return f"{e.value:.2f} (95% CI {e.low:.2f} to {e.high:.2f}), n = {e.n}"


def get_page(client, survey_id: int, query: str = "") -> str:
    response = client.get(f"/surveys/{survey_id}/results{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


@pytest.fixture()
def post_service(published, answer, login_as):
    """A post-service survey with ten known answers, the client signed in as an admin."""
    survey_id = published("post_service")
    answer(survey_id, *({"csat": c, "ces": e, "fixed": f} for c, e, f in zip(CSAT, CES, FIXED, strict=True)))
    login_as("admin")
    return survey_id


def test_csat_ces_and_fixed_match_the_metrics_module(client, post_service):
    page = get_page(client, post_service)
    assert metric(page, "csat", "CSAT (satisfied, 4–5)") == percent(metrics.csat(CSAT))
    assert metric(page, "csat", "Mean") == mean(metrics.mean(CSAT))
    assert metric(page, "ces", "Easy (5–7)") == percent(metrics.ces(CES))
    assert metric(page, "ces", "Mean") == mean(metrics.mean(CES))
    for label, value in (("Yes", "yes"), ("Partly", "partly"), ("No", "no")):
        assert metric(page, "fixed", label) == percent(metrics.wilson(FIXED.count(value), len(FIXED)))
    assert total(page) == len(CSAT)


def test_nps_shows_the_observed_score_with_the_adjusted_wald_interval(client, published, answer, login_as):
    survey_id = published("nps")
    answer(survey_id, *({"nps": v} for v in NPS))
    login_as("program_lead")
    expected = metrics.nps(NPS)
    assert metric(get_page(client, survey_id), "nps", "NPS") == \
        f"{expected.value:.1f} (95% CI {expected.low:.1f} to {expected.high:.1f}), n = {len(NPS)}"


def test_likert_trust_and_choice_questions_are_scored(client, every_kind, answer, login_as):
    answer(every_kind,
           {"agree": 5, "trust5": 4, "thumbs": "agree", "how": "phone", "topics": ["noise", "roads"],
            "drivers": ["ease", "humanity"]},
           {"agree": 2, "trust5": 1, "thumbs": "disagree", "how": "phone", "topics": ["noise"]},
           {"agree": 4, "trust5": 5, "thumbs": "agree", "how": "app", "topics": ["trash"],
            "drivers": ["ease"]})
    login_as("admin")
    page = get_page(client, every_kind)
    assert metric(page, "agree", "Top 2 box (4–5)") == percent(metrics.top2box([5, 2, 4]))
    assert metric(page, "trust5", "Top 2 box (4–5)") == percent(metrics.top2box([4, 1, 5]))
    assert metric(page, "thumbs", "Agree") == percent(metrics.wilson(2, 3))
    assert row(page, "how", "By phone")[0] == 2
    assert row(page, "how", "With the 311 app")[0] == 1
    # Multi-answer shares are of respondents, so they add up to more than 100%.
    assert row(page, "topics", "Noise") == (2, percent(metrics.wilson(2, 3)).split(", n =")[0])
    assert row(page, "topics", "Roads")[0] == 1
    assert row(page, "drivers", "How easy it was")[0] == 2
    assert row(page, "drivers", "Being treated with respect")[0] == 1
    assert "2 respondents" in section(page, "drivers")


def test_distribution_rows_are_labelled_in_scale_order(client, post_service):
    csat = section(get_page(client, post_service), "csat")
    labels = re.findall(r'<th scope="row" class="fw-normal">(\d [^<]+)</th>', csat)
    assert labels == ["1 Very dissatisfied", "2 Dissatisfied", "3 Neither satisfied nor dissatisfied",
                      "4 Satisfied", "5 Very satisfied"]
    assert row(csat, "csat", "5 Very satisfied")[0] == CSAT.count(5)


def test_questions_without_answers_show_a_dash(client, published, login_as):
    survey_id = published("post_service")
    login_as("admin")
    page = get_page(client, survey_id)
    assert total(page) == 0
    assert metric(page, "csat", "CSAT (satisfied, 4–5)") == "—"
    assert "No answers yet." in section(page, "comment")


def test_test_responses_are_left_out_unless_asked_for(client, post_service, answer):
    answer(post_service, {"csat": 1}, {"csat": 1}, source=ResponseSource.TEST, channel="test")
    page = get_page(client, post_service)
    assert total(page) == len(CSAT)
    assert metric(page, "csat", "CSAT (satisfied, 4–5)") == percent(metrics.csat(CSAT))
    with_tests = get_page(client, post_service, "?tests=1")
    assert total(with_tests) == len(CSAT) + 2
    assert metric(with_tests, "csat", "CSAT (satisfied, 4–5)") == percent(metrics.csat([*CSAT, 1, 1]))
    assert 'name="tests" type="checkbox" value="1" class="form-check-input" checked' in with_tests


def test_date_filter_is_inclusive_in_the_city_time_zone(app, client, published, answer, login_as):
    app.config["TIMEZONE"] = "America/New_York"
    survey_id = published("post_service")
    # 03:00 UTC on 5 March is still 4 March in New York.
    answer(survey_id, {"csat": 1}, submitted_at=datetime(2024, 3, 5, 3, 0, tzinfo=UTC))
    answer(survey_id, {"csat": 5}, {"csat": 4}, submitted_at=datetime(2024, 3, 5, 15, 0, tzinfo=UTC))
    answer(survey_id, {"csat": 3}, submitted_at=datetime(2024, 3, 9, 4, 59, tzinfo=UTC))
    login_as("admin")
    assert total(get_page(client, survey_id, "?start=2024-03-05&end=2024-03-05")) == 2
    assert total(get_page(client, survey_id, "?end=2024-03-04")) == 1
    assert total(get_page(client, survey_id, "?start=2024-03-05")) == 3
    assert total(get_page(client, survey_id, "?start=2024-03-09&end=2024-03-09")) == 0
    page = get_page(client, survey_id, "?start=2024-03-05&end=2024-03-05")
    assert metric(page, "csat", "CSAT (satisfied, 4–5)") == percent(metrics.csat([5, 4]))


@pytest.fixture()
def two_versions(app, published, answer):
    """Version 1 (post-service) with two responses; version 2 adds "staff" first and drops "comment"."""
    survey_id = published("post_service")
    answer(survey_id, {"csat": 5, "comment": "old version"}, {"csat": 4})
    with app.app_context():
        survey = db.session.get(Survey, survey_id)
        design.add_question(None, survey, Question(key="staff", kind=Kind.LIKERT, text={"en": "Staff were kind."}))
        design.move_question(None, survey, "staff", -10)
        design.remove_question(None, survey, "comment")
        design.publish(None, survey)
        db.session.commit()
    answer(survey_id, {"csat": 1, "staff": 5})
    return survey_id


def test_version_filter_narrows_responses_and_questions(client, login_as, two_versions):
    login_as("admin")
    everything = get_page(client, two_versions)
    assert total(everything) == 3
    keys = re.findall(r'<section id="q-([a-z0-9_]+)"', everything)
    assert keys == ["staff", "csat", "ces", "fixed", "comment"]  # newest order, then older-only keys
    first = get_page(client, two_versions, "?version=1")
    assert total(first) == 2
    assert re.findall(r'<section id="q-([a-z0-9_]+)"', first) == ["csat", "ces", "fixed", "comment"]
    assert metric(first, "csat", "CSAT (satisfied, 4–5)") == percent(metrics.csat([5, 4]))
    assert total(get_page(client, two_versions, "?version=2")) == 1


BAD_FILTERS = {
    "?version=abc": "Choose a version number (1) or all versions.",
    "?version=7": "This survey has no published version 7; published versions: 1.",
    "?start=2024-02-30": "Enter the start date as YYYY-MM-DD, for example 2024-03-01.",
    "?end=yesterday": "Enter the end date as YYYY-MM-DD, for example 2024-03-01.",
    "?start=0001-01-01": "The start date must be between 1970-01-01 and 2999-12-31.",
    "?start=2024-03-05&end=2024-03-01": "The end date is before the start date.",
    "?tests=maybe": "Include test responses must be 1 (yes) or 0 (no).",
}


def test_bad_filter_values_get_a_clear_message_not_an_error(client, post_service):
    for query, message in BAD_FILTERS.items():
        response = client.get(f"/surveys/{post_service}/results{query}")
        assert response.status_code == 400, query
        page = response.get_data(as_text=True)
        assert message in page, query
        assert 'aria-invalid="true"' in page, query
        assert "<strong>" not in page, query  # no numbers under unusable filters


def test_free_text_is_escaped_and_shown_with_date_and_language(client, published, answer, login_as):
    survey_id = published("post_service")
    answer(survey_id, {"comment": '<script>alert("x")</script> & <b>bold</b>'}, language="es",
           submitted_at=datetime(2024, 3, 5, 12, 0, tzinfo=UTC))
    login_as("admin")
    comment = section(get_page(client, survey_id), "comment")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in comment
    assert "<script>" not in comment and "<b>" not in comment
    assert ">2024-03-05</time> · es (Spanish)" in comment
    assert 'lang="es"' in comment


def test_comments_are_newest_first_and_paginated(client, published, answer, login_as):
    survey_id = published("post_service")
    start = datetime(2024, 3, 1, tzinfo=UTC)
    for i in range(30):
        answer(survey_id, {"comment": f"Comment number {i:02d}."}, submitted_at=start + timedelta(hours=i))
    login_as("admin")
    first = section(get_page(client, survey_id), "comment")
    numbers = [int(n) for n in re.findall(r"Comment number (\d\d)\.", first)]
    assert numbers == list(range(29, 4, -1))
    assert "Page 1 of 2" in first
    assert f'href="/surveys/{survey_id}/results?page_comment=2#q-comment"' in first
    second = section(get_page(client, survey_id, "?page_comment=2"), "comment")
    assert [int(n) for n in re.findall(r"Comment number (\d\d)\.", second)] == [4, 3, 2, 1, 0]
    # A page number that is not one falls back to the first page.
    assert "Comment number 29." in section(get_page(client, survey_id, "?page_comment=x"), "comment")


def test_charts_are_inline_svg_without_styles_scripts_or_duplicate_ids(client, post_service):
    page = get_page(client, post_service)
    charts = svgs(page)
    assert len(charts) == 4  # responses over time, csat, ces, fixed
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    for svg in charts:
        assert 'role="img"' in svg and "<title" in svg
        assert "style=" not in svg and "<style" not in svg and "<script" not in svg
    assert ">5 Very satisfied</text>" in section(page, "csat")  # text stays text
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_responses_over_time_are_counted_per_day_or_week(client, published, answer, login_as):
    survey_id = published("post_service")
    answer(survey_id, {"csat": 5}, {"csat": 4}, submitted_at=datetime(2024, 3, 4, 12, tzinfo=UTC))
    answer(survey_id, {"csat": 3}, submitted_at=datetime(2024, 3, 6, 12, tzinfo=UTC))
    login_as("admin")
    daily = get_page(client, survey_id)
    assert "Responses per day" in daily
    assert re.findall(r">(2024-03-0\d)</th><td class=\"text-end\">(\d+)<", daily) == [
        ("2024-03-04", "2"), ("2024-03-05", "0"), ("2024-03-06", "1")]
    answer(survey_id, {"csat": 3}, submitted_at=datetime(2024, 4, 3, 12, tzinfo=UTC))
    weekly = get_page(client, survey_id)
    assert "Responses per ISO week" in weekly
    weeks = re.findall(r">(2024-0\d-\d\d)</th><td class=\"text-end\">(\d+)<", weekly)
    assert weeks[0] == ("2024-03-04", "3") and weeks[-1] == ("2024-04-01", "1") and len(weeks) == 5


def test_page_links_back_to_the_survey_and_to_the_filtered_csv(client, post_service):
    page = get_page(client, post_service, "?tests=1&start=2024-01-01")
    assert f'href="/surveys/{post_service}"' in page
    assert f'href="/surveys/{post_service}/results.csv?start=2024-01-01&amp;tests=1"' in page
    assert f'href="/surveys/{post_service}/results/csat.png?start=2024-01-01&amp;tests=1"' in page


def test_unpublished_survey_says_it_has_no_responses_yet(app, client, departments, login_as):
    with app.app_context():
        dept = db.session.scalars(db.select(Department).where(Department.code == "STR")).one()
        survey_id = design.create_survey(None, department=dept, name="Draft", template="nps").id
        db.session.commit()
    login_as("dcxo", ("STR",))
    page = get_page(client, survey_id)
    assert "This survey has not been published yet, so it has no responses." in page
    assert "<section" not in page


def test_unexpected_query_arguments_do_not_leak_into_links(client, post_service, published, answer):
    survey_id = published("post_service")
    answer(survey_id, *({"comment": f"Comment {i}"} for i in range(30)))
    page = get_page(client, survey_id, "?survey_id=99&_external=1&_scheme=javascript&page_comment=1&tests=0")
    assert f'href="/surveys/{survey_id}/results?page_comment=2#q-comment"' in page
    assert "javascript" not in page and "survey_id=99" not in page

"""The results page's sentiment section: shares with intervals, slices, flags, themes and masked comments."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime, timedelta

import pytest

import surveys.sentiment
from surveys import metrics
from tests.vocapp.results.reading import section
from vocapp.services.results import format_estimate

COMMENTS = [
    "They closed my ticket but the pothole is still there.",
    "Still waiting, the streetlight has been out for three weeks now.",
    "The crew came the next day and fixed it. Thank you!",
    "Fast and friendly service, the pothole is gone.",
    "Thanks to the crew, they were very polite and cleaned up everything.",
    "It took about a week.",
    "The man on the phone was rude and hung up on me.",
    "There are needles on the sidewalk near the encampment, it is dangerous for the kids.",
]


def get_page(client, survey_id: int, query: str = "") -> str:
    response = client.get(f"/surveys/{survey_id}/results{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def table(page: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert match, f"no table {table_id}"
    return match.group(0)


def cells(markup: str, label: str) -> list[str]:
    """The cells of the row headed `label` (its header text without tags), unescaped."""
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", markup, re.S):
        header = re.search(r"<th[^>]*>(.*?)</th>", row, re.S)
        if header and re.sub(r"<[^>]+>", "", header.group(1)).strip() == label:
            return [htmllib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                                           row, re.S)]
    raise AssertionError(f"no row {label!r}")


def comment_items(page: str) -> list[str]:
    match = re.search(r'<ol[^>]*id="sentiment-comments".*?</ol>', page, re.S)
    return re.findall(r"<li.*?</li>", match.group(0), re.S) if match else []


def share(k: int, n: int) -> str:
    return format_estimate(metrics.wilson(k, n), "percent", with_n=False)


@pytest.fixture()
def scored(published, answer, score, login_as):
    """A Streets post-service survey with COMMENTS scored, the client signed in as an admin."""
    survey_id = published("post_service")
    answer(survey_id, *({"csat": 3, "comment": text} for text in COMMENTS))
    score()
    login_as("admin")
    return survey_id


def test_the_section_shows_each_sentiments_share_with_its_wilson_interval(client, scored):
    page = get_page(client, scored)
    labels = [s.label for s in surveys.sentiment.analyze(COMMENTS)]
    shares = table(page, "sentiment-shares")
    assert "<caption" in shares and "95% Wilson" in shares
    for label in ("Positive", "Neutral", "Negative"):
        k = labels.count(label.lower())
        assert cells(shares, label) == [str(k), share(k, len(COMMENTS))]
    assert f"{len(COMMENTS)} comments: {len(COMMENTS)} analysed." in htmllib.unescape(page)
    assert labels.count("negative") >= 3 and labels.count("positive") >= 2


def test_flags_are_counted_with_their_share_of_the_comments(client, scored):
    flags = table(get_page(client, scored), "sentiment-flags")
    found = [set(s.flags) for s in surveys.sentiment.analyze(COMMENTS)]
    for name, label in (("closed_not_fixed", "Closed but not fixed"), ("still_waiting", "Still waiting"),
                        ("safety_risk", "Safety risk"), ("staff_courtesy_negative", "Staff discourteous")):
        k = sum(name in f for f in found)
        assert k >= 1, name
        assert cells(flags, label) == [str(k), share(k, len(COMMENTS))]


def test_comments_are_listed_with_label_flags_and_language(client, scored):
    items = comment_items(get_page(client, scored))
    assert len(items) == len(COMMENTS)
    closed = next(i for i in items if "They closed my ticket" in i)
    assert "Negative" in closed and "Closed but not fixed" in closed and "en (English)" in closed
    assert 'lang="en"' in closed
    thanks = next(i for i in items if "fixed it. Thank you!" in i)
    assert "Positive" in thanks


def test_comments_not_analysed_yet_are_counted_as_pending_and_still_listed(client, scored, answer):
    answer(scored, {"comment": "Nobody came to look at the broken hydrant."}, {"comment": "Gracias, muy rápido."},
           submitted_at=datetime(2024, 3, 6, 9, tzinfo=UTC))
    page = get_page(client, scored)
    n = len(COMMENTS)
    assert f"{n + 2} comments: {n} analysed, <strong>2 pending analysis</strong>" in page
    assert cells(table(page, "sentiment-shares"), "Pending analysis") == ["2", "not counted yet"]
    pending = [i for i in comment_items(page) if "Pending analysis" in i]
    assert len(pending) == 2 and "broken hydrant" in pending[0] + pending[1]
    only = comment_items(get_page(client, scored, "?sentiment=pending"))
    assert len(only) == 2


def test_label_and_flag_filters_narrow_the_comment_list(client, scored):
    negative = [s for s in surveys.sentiment.analyze(COMMENTS) if s.label == "negative"]
    assert len(comment_items(get_page(client, scored, "?sentiment=negative"))) == len(negative)
    flagged = comment_items(get_page(client, scored, "?flag=closed_not_fixed"))
    assert flagged and all("Closed but not fixed" in item for item in flagged)
    assert len(flagged) < len(COMMENTS)


def test_sentiment_is_broken_down_by_channel_and_language(client, published, answer, score, login_as):
    survey_id = published("post_service")
    answer(survey_id, {"comment": "Thank you, great job!"}, {"comment": "Wonderful crew, thanks."}, channel="email")
    answer(survey_id, {"comment": "Nobody came, terrible service."}, channel="sms")
    answer(survey_id, {"comment": "Muy amables, gracias."}, channel="sms", language="es")
    score()
    login_as("admin")
    page = get_page(client, survey_id)
    channel = table(page, "sentiment-by-channel")
    assert "<caption" in channel and '<th scope="col">Channel</th>' in channel
    assert cells(channel, "email")[:2] == ["2", share(2, 2)]
    assert cells(channel, "sms")[0] == "2"
    language = table(page, "sentiment-by-language")
    assert cells(language, "es (Spanish)")[:2] == ["1", share(1, 1)]
    assert cells(language, "en (English)")[0] == "3"
    # One department only: said in a sentence, not a one-row table.
    assert 'id="sentiment-by-department"' not in page and "department (Streets)" in page


def test_service_and_ward_slices_come_from_the_311_request_answered(client, published, answer, linked, score,
                                                                     login_as):
    survey_id = published("post_service")
    for text in ("Still waiting for the bulky item pickup.", "They closed the bulky item pickup but the couch is "
                 "still there.", "Nobody came for the bulky item pickup, awful."):
        linked(survey_id, {"comment": text}, service="Bulky Items", ward="CD 1")
    linked(survey_id, {"comment": "The graffiti was removed fast, thank you!"}, service="Graffiti Removal",
           ward="CD 2")
    answer(survey_id, {"comment": "Great service from the crew."})
    score()
    login_as("admin")
    page = get_page(client, survey_id)
    service = table(page, "sentiment-by-service")
    assert cells(service, "Bulky Items")[0] == "3"
    assert cells(service, "Graffiti Removal")[0] == "1"
    assert cells(service, "No 311 request")[0] == "1"
    assert cells(table(page, "sentiment-by-ward"), "CD 1")[0] == "3"
    assert f'href="/surveys/{survey_id}/results?slice=service:Bulky+Items#sentiment-section"' in page

    bulky = get_page(client, survey_id, "?slice=service:Bulky+Items")
    assert "Service: Bulky Items" in bulky
    assert "3 comments: 3 analysed." in bulky
    items = comment_items(bulky)
    assert len(items) == 3 and all("bulky item pickup" in i for i in items)
    assert cells(table(bulky, "sentiment-shares"), "Negative")[0] == "3"
    # The slice tables still show every slice, the chosen one marked.
    assert 'class="table-active" aria-current="true"' in table(bulky, "sentiment-by-service")
    unknown = get_page(client, survey_id, "?slice=service:")
    assert [("Great service" in i) for i in comment_items(unknown)] == [True]


def test_themes_of_a_slice_are_shown_against_the_rest_of_the_survey_with_examples(
        client, published, linked, score, login_as):
    survey_id = published("post_service")
    start = datetime(2024, 3, 1, 12, tzinfo=UTC)
    bulky = ["They closed the bulky item pickup but the mattress is still on the sidewalk.",
             "Still waiting for the bulky item pickup, it has been two weeks.",
             "The bulky item pickup never came, I had to call again.",
             "Bulky item pickup was missed twice, the couch is still there.",
             "Nobody came for the bulky item pickup even though it was scheduled."]
    others = ["The graffiti on the wall was removed quickly, thank you.",
              "Graffiti cleaned the same day, great crew.",
              "The graffiti came back a week later.",
              "Thanks for removing the graffiti so fast."]
    for i, text in enumerate(bulky):
        linked(survey_id, {"comment": text}, service="Bulky Items", ward="CD 1", submitted_at=start + timedelta(days=i))
    for i, text in enumerate(others):
        linked(survey_id, {"comment": text}, service="Graffiti Removal", ward="CD 2",
               submitted_at=start + timedelta(days=i))
    score()
    login_as("admin")
    page = get_page(client, survey_id, "?slice=service:Bulky+Items")
    themes = table(page, "sentiment-themes")
    assert "<caption" in themes and "compared with the rest of the survey" in themes
    phrases = [htmllib.unescape(p) for p in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', themes)]
    assert any("bulky" in p.lower() or "pickup" in p.lower() for p in phrases), phrases
    assert not any("graffiti" in p.lower() for p in phrases), phrases
    examples = [htmllib.unescape(e) for e in re.findall(r"<li[^>]*>“(.*?)”</li>", themes, re.S)]
    assert examples and all(e in bulky for e in examples)


def test_residents_contact_details_are_masked_in_every_comment_list(client, published, answer, score, login_as):
    survey_id = published("post_service")
    text = "Still waiting. My name is Maria Lopez, call 213-555-0147 or write to maria.lopez@example.org."
    answer(survey_id, {"comment": text}, {"comment": "Call me at (213) 555-0199 before noon, thanks."})
    login_as("admin")
    for scored in (False, True):  # masked before and after the analysis
        if scored:
            score()
        page = get_page(client, survey_id)
        for secret in ("Maria Lopez", "213-555-0147", "maria.lopez@example.org", "555-0199"):
            assert secret not in page
        listed = " ".join(comment_items(page))
        assert "[email]" in listed and "[phone]" in listed and "[name]" in listed
        assert "[email]" in section(page, "comment")


def test_the_sentiment_comments_are_paged_newest_first(client, published, answer, score, login_as):
    survey_id = published("post_service")
    start = datetime(2024, 3, 1, tzinfo=UTC)
    for i in range(30):
        answer(survey_id, {"comment": f"Comment number {i:02d}, thank you."}, submitted_at=start + timedelta(hours=i))
    score()
    login_as("admin")
    first = comment_items(get_page(client, survey_id))
    assert [int(re.search(r"number (\d\d)", i).group(1)) for i in first] == list(range(29, 4, -1))
    page = get_page(client, survey_id, "?sentiment=positive")
    assert f'href="/surveys/{survey_id}/results?sentiment=positive&amp;spage=2#sentiment-section"' in page
    second = comment_items(get_page(client, survey_id, "?sentiment=positive&spage=2"))
    assert [int(re.search(r"number (\d\d)", i).group(1)) for i in second] == [4, 3, 2, 1, 0]


def test_the_question_comment_list_shows_each_comments_label(client, scored):
    comment = section(get_page(client, scored), "comment")
    assert "· Negative · Closed but not fixed" in comment
    assert "· Positive" in comment


def test_choosing_a_slice_keeps_the_other_filters(client, scored):
    page = get_page(client, scored, "?start=2024-03-01&slice=channel:email")
    assert "Channel: email" in page
    assert 'name="slice" value="channel:email"' in page  # the date filter form keeps the slice
    assert 'type="hidden" name="start" value="2024-03-01"' in page  # the slice form keeps the dates
    assert f'href="/surveys/{scored}/results?start=2024-03-01#sentiment-section"' in page  # back to the whole


@pytest.mark.parametrize(("query", "field", "message"), [
    ("?slice=postcode:90012", "slice", "Choose the comments of one"),
    ("?slice=nocolon", "slice", "Choose the comments of one"),
    ("?sentiment=angry", "sentiment", "positive, neutral, negative or pending"),
    ("?flag=rude", "flag", "Choose one of the flags"),
])
def test_unusable_sentiment_arguments_are_a_400_naming_the_field(client, scored, query, field, message):
    response = client.get(f"/surveys/{scored}/results{query}")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and f'href="#{field}"' in page and f'id="{field}"' in page


def test_sentiment_tables_have_captions_and_scoped_headers_and_the_chart_is_accessible(client, scored):
    page = get_page(client, scored, "?slice=channel:email")
    section_markup = re.search(r'<section id="sentiment-section".*?</section>', page, re.S).group(0)
    tables = re.findall(r"<table.*?</table>", section_markup, re.S)
    assert len(tables) >= 2
    for markup in tables:
        assert "<caption" in markup
        assert re.findall(r"<th(?=[\s>])(?![^>]*scope=)", markup) == []
    chart = re.search(r"<svg.*?</svg>", section_markup, re.S).group(0)
    assert 'role="img"' in chart and "<title" in chart and "Sentiment of comments: Channel: email" in chart
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for name in ("slice", "sentiment", "flag"):
        assert f'<label for="{name}"' in section_markup


def test_a_survey_without_comments_says_so(client, published, answer, login_as):
    survey_id = published("post_service")
    answer(survey_id, {"csat": 4})
    login_as("admin")
    page = get_page(client, survey_id)
    assert "0 comments: 0 analysed." in page and "No comments yet." in page
    assert 'id="sentiment-shares"' not in page


@pytest.mark.parametrize(("role", "codes", "status"), [
    ("dcxo", ("STR",), 200), ("viewer", ("STR",), 200), ("program_lead", (), 200),
    ("dcxo", ("WTR",), 404), ("viewer", ("WTR",), 404),
])
def test_only_staff_of_the_surveys_department_see_its_comments(client, published, answer, score, login_as, role,
                                                                codes, status):
    survey_id = published("post_service", code="STR")
    answer(survey_id, {"comment": "They closed my ticket but the pothole is still there."})
    score()
    login_as(role, codes)
    for query in ("", "?slice=channel:email", "?flag=closed_not_fixed&sentiment=negative"):
        response = client.get(f"/surveys/{survey_id}/results{query}")
        assert response.status_code == status
        body = response.get_data(as_text=True)
        assert ("pothole is still there" in body) is (status == 200)

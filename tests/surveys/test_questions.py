"""Question kinds: parsing and validating a resident's answer."""

import pytest

from surveys.errors import AnswerError
from surveys.questions import DRIVERS, TEXT_MAX, Choice, Condition, Kind, Question, numeric


def q(kind, **kw):
    return Question(key="q", kind=Kind(kind), text={"en": "?"}, **kw)


@pytest.mark.parametrize(("kind", "low", "high"), [("csat", 1, 5), ("ces", 1, 7), ("nps", 0, 10),
                                                   ("likert", 1, 5), ("trust5", 1, 5)])
def test_rating_kinds_accept_their_scale_and_refuse_outside_it(kind, low, high):
    question = q(kind)
    assert question.parse([str(low)]) == low and question.parse([str(high)]) == high
    for bad in (low - 1, high + 1):
        with pytest.raises(AnswerError) as err:
            question.parse([str(bad)])
        assert err.value.code == "range" and err.value.params == {"low": low, "high": high}


@pytest.mark.parametrize("raw", ["3.5", "three", "1e1", "99999999999", "<script>"])
def test_ratings_must_be_whole_numbers(raw):
    with pytest.raises(AnswerError) as err:
        q("csat").parse([raw])
    assert err.value.code == "format"


def test_empty_or_blank_is_unanswered():
    assert q("csat").parse([]) is None
    assert q("text").parse(["   "]) is None
    assert q("drivers").parse([""]) is None


def test_single_answer_kinds_refuse_two_values():
    with pytest.raises(AnswerError) as err:
        q("nps").parse(["9", "10"])
    assert err.value.code == "format"


def test_trust_and_fixed_accept_only_their_values():
    assert q("trust").parse(["agree"]) == "agree"
    assert q("fixed").parse(["partly"]) == "partly"
    for kind, bad in (("trust", "maybe"), ("fixed", "sort of")):
        with pytest.raises(AnswerError) as err:
            q(kind).parse([bad])
        assert err.value.code == "choice"


def test_drivers_accept_any_of_the_a11_drivers_in_canonical_order_without_repeats():
    assert DRIVERS == ("effectiveness", "ease", "efficiency", "transparency", "humanity", "employee", "other")
    assert q("drivers").parse(["other", "ease", "ease"]) == ["ease", "other"]
    with pytest.raises(AnswerError):
        q("drivers").parse(["ease", "speed"])


def test_designer_choices():
    question = q("single", choices=(Choice("bus", {"en": "Bus"}), Choice("car", {"en": "Car"})))
    assert question.parse(["car"]) == "car"
    with pytest.raises(AnswerError) as err:
        question.parse(["plane"])
    assert err.value.code == "choice"
    multi = q("multi", choices=question.choices)
    assert multi.parse(["car", "bus"]) == ["bus", "car"]


def test_free_text_keeps_markup_as_text_and_caps_length():
    question = q("text")
    assert question.parse(["<script>alert(1)</script>"]) == "<script>alert(1)</script>"
    assert question.parse(["line one\r\nline two"]) == "line one\nline two"
    assert question.parse(["x" * TEXT_MAX]) == "x" * TEXT_MAX
    with pytest.raises(AnswerError) as err:
        question.parse(["x" * 1_000_000])
    assert err.value.code == "too_long" and err.value.params["length"] == 1_000_000


@pytest.mark.parametrize(("condition", "answer", "expected"), [
    (Condition("a", "in", ("agree",)), "agree", True),
    (Condition("a", "in", ("agree",)), "disagree", False),
    (Condition("a", "not_in", ("agree",)), "disagree", True),
    (Condition("a", "not_in", ("agree",)), None, False),
    (Condition("a", "in", ("1", "2")), 2, True),
    (Condition("a", "lte", (2,)), 2, True),
    (Condition("a", "lte", (2,)), 3, False),
    (Condition("a", "gte", (9,)), 10, True),
    (Condition("a", "gte", (9,)), "yes", False),
    (Condition("a", "in", ("ease",)), ["ease", "other"], True),
    (Condition("a", "answered"), "", False),
    (Condition("a", "answered"), "anything", True),
])
def test_conditions_match_answers(condition, answer, expected):
    assert condition.matches(answer) is expected


def test_numeric_values_for_analysis():
    assert numeric(Kind.CSAT, 4) == 4.0
    assert numeric(Kind.TRUST, "disagree") == 0.0
    assert numeric(Kind.FIXED, "no") == 0.0
    assert numeric(Kind.TEXT, "hello") is None
    assert numeric(Kind.NPS, None) is None

"""Survey definitions: design problems, display logic, validation and translation completeness."""

import pytest

from surveys.errors import DesignError
from surveys.languages import CODES
from surveys.model import Survey
from surveys.templates import TEMPLATES


def survey(*questions, **extra):
    return Survey.from_dict({"title": {"en": "T"}, "questions": list(questions), **extra})


def text(key, **kw):
    return {"key": key, "kind": "text", "text": {"en": key.upper()}, **kw}


def codes(s, **kw):
    return [p.code for p in s.problems(**kw)]


def test_a_well_formed_survey_has_no_problems_and_round_trips():
    s = survey({"key": "csat", "kind": "csat", "required": True, "text": {"en": "How?", "es": "¿Cómo?"}},
               text("why", condition={"question": "csat", "op": "lte", "values": [2]}))
    assert s.problems(publishing=True) == []
    assert Survey.from_dict(s.to_dict()) == s


def test_duplicate_keys_are_a_problem():
    assert "duplicate_key" in codes(survey(text("a"), text("a")))


@pytest.mark.parametrize("key", ["A", "1a", "a b", "a-b", "x" * 41, ""])
def test_keys_must_be_simple_identifiers(key):
    assert "key" in codes(survey(text(key)))


def test_choice_question_without_choices_is_a_problem():
    s = survey({"key": "mode", "kind": "single", "text": {"en": "How?"}, "choices": []})
    assert "choices" in codes(s)
    one = survey({"key": "mode", "kind": "multi", "text": {"en": "How?"},
                  "choices": [{"value": "a", "label": {"en": "A"}}]})
    assert "choices" in codes(one)
    dup = survey({"key": "mode", "kind": "single", "text": {"en": "How?"},
                  "choices": [{"value": "a", "label": {"en": "A"}}, {"value": "a", "label": {"en": "B"}}]})
    assert "choices" in codes(dup)


def test_fixed_answer_kinds_take_no_designer_choices():
    s = survey({"key": "c", "kind": "csat", "text": {"en": "?"}, "choices": [{"value": "x", "label": {"en": "X"}}]})
    assert "choices" in codes(s)


def test_condition_on_a_later_question_is_a_problem():
    s = survey(text("a", condition={"question": "b", "op": "answered"}), text("b"))
    problems = s.problems()
    assert any("comes later" in p.message for p in problems)


def test_condition_on_itself_or_unknown_question_is_a_problem():
    assert any("itself" in p.message for p in survey(text("a", condition={"question": "a", "op": "answered"})).problems())
    assert any("does not exist" in p.message
               for p in survey(text("a", condition={"question": "zz", "op": "answered"})).problems())


def test_cycles_are_detected_and_named():
    s = survey(text("a", condition={"question": "c", "op": "answered"}),
               text("b", condition={"question": "a", "op": "answered"}),
               text("c", condition={"question": "b", "op": "answered"}))
    assert s.condition_cycles() == [["a", "c", "b", "a"]]
    assert "cycle" in codes(s)


def test_condition_values_must_fit_the_question_they_test():
    base = {"key": "t", "kind": "trust", "text": {"en": "Trust?"}}
    assert "condition" in codes(survey(base, text("x", condition={"question": "t", "op": "in", "values": ["maybe"]})))
    assert "condition" in codes(survey(base, text("x", condition={"question": "t", "op": "gte", "values": [3]})))
    rating = {"key": "r", "kind": "csat", "text": {"en": "?"}}
    assert "condition" in codes(survey(rating, text("x", condition={"question": "r", "op": "lte", "values": [9]})))
    assert codes(survey(rating, text("x", condition={"question": "r", "op": "lte", "values": [2]}))) == []


def test_publishing_needs_questions_and_english_texts():
    assert "empty" in codes(Survey.from_dict({"title": {"en": "T"}}), publishing=True)
    assert "empty" not in codes(Survey.from_dict({"title": {"en": "T"}}))
    assert "title" in codes(Survey.from_dict({"title": {"es": "T"}, "questions": [text("a")]}))
    assert "text" in codes(survey({"key": "a", "kind": "text", "text": {"es": "solo español"}}))


def test_malformed_definitions_raise_design_error():
    with pytest.raises(DesignError):
        Survey.from_dict({"title": {"en": "T"}, "questions": [{"key": "a", "kind": "telepathy"}]})
    with pytest.raises(DesignError) as err:
        survey(text("a"), text("a")).check()
    assert "Two questions have the key 'a'" in str(err.value)


def test_a11_drivers_follow_the_trust_answer():
    s = TEMPLATES["a11"].survey()
    assert [q.key for q in s.visible({"trust": "agree"})] == ["trust", "went_well", "comment"]
    assert [q.key for q in s.visible({"trust": "disagree"})] == ["trust", "went_wrong", "comment"]
    assert [q.key for q in s.visible({})] == ["trust", "comment"]


def test_hidden_questions_are_dropped_and_only_visible_required_ones_enforced():
    s = survey({"key": "fixed", "kind": "fixed", "required": True, "text": {"en": "Fixed?"}},
               text("what", required=True, condition={"question": "fixed", "op": "in", "values": ["no"]}))
    answers, errors = s.validate({"fixed": ["yes"], "what": ["left over from before"]})
    assert answers == {"fixed": "yes"} and errors == {}
    answers, errors = s.validate({"fixed": ["no"]})
    assert errors["what"].code == "required"


def test_validation_reports_every_bad_answer_at_once():
    s = survey({"key": "csat", "kind": "csat", "required": True, "text": {"en": "?"}},
               {"key": "nps", "kind": "nps", "text": {"en": "?"}},
               text("comment"))
    answers, errors = s.validate({"nps": ["11"], "comment": ["x" * 5000]})
    assert {k: e.code for k, e in errors.items()} == {"csat": "required", "nps": "range", "comment": "too_long"}


def test_translation_completeness_lists_missing_texts_per_language():
    s = survey({"key": "a", "kind": "single", "text": {"en": "Q", "es": "P"}, "help": {"en": "H"},
                "choices": [{"value": "x", "label": {"en": "X", "es": "X"}},
                            {"value": "y", "label": {"en": "Y"}}]},
               languages=["en", "es", "ar"])
    assert [t.id for t in s.missing("es")] == ["title", "q.a.help", "q.a.choice.y"]
    assert s.completeness() == {"en": (5, 5), "es": (2, 5), "ar": (0, 5)}


@pytest.mark.parametrize("template_id", sorted(TEMPLATES))
def test_templates_are_valid_and_fully_translated_into_every_resident_language(template_id):
    s = TEMPLATES[template_id].survey()
    assert s.problems(publishing=True) == []
    assert list(s.languages) == list(CODES)
    assert all(done == total for done, total in s.completeness().values()), s.completeness()

"""What the resident form shows for each question, in the resident's language."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _

from surveys.errors import AnswerError
from surveys.model import Survey, localized
from surveys.questions import TEXT_MAX, Condition, Kind, Question
from vocapp import labels

__all__ = ["Option", "Field", "build_fields", "error_message"]


@dataclass(frozen=True)
class Option:
    """One radio button or checkbox."""

    value: str
    label: str
    checked: bool = False
    #: A short visual prefix such as the number on a rating scale.
    prefix: str = ""


@dataclass(frozen=True)
class Field:
    """One question as the form renders it."""

    key: str
    kind: str
    label: str
    help: str = ""
    required: bool = False
    #: "radio", "checkbox", "scale" (numbers in a row) or "textarea".
    widget: str = "radio"
    options: tuple[Option, ...] = ()
    value: str = ""
    error: str = ""
    #: A sentence saying when this conditional question applies.
    lead_in: str = ""
    #: JSON for the optional script that hides conditional questions that do not apply.
    show_if: str = ""
    hints: tuple[str, ...] = field(default_factory=tuple)
    maxlength: int = TEXT_MAX

    @property
    def id(self) -> str:
        return f"q-{self.key}"


def error_message(err: AnswerError) -> str:
    """The resident-language message for an answer error."""
    return str(labels.ERRORS.get(err.code, labels.ERRORS["format"])) % err.params


def _options(question: Question, lang: str, chosen: set[str]) -> tuple[str, tuple[Option, ...], tuple[str, ...]]:
    kind = question.kind
    if kind == Kind.NPS:
        opts = tuple(Option(str(n), str(n), str(n) in chosen) for n in range(0, 11))
        return "scale", opts, (str(labels.NPS_LOW), str(labels.NPS_HIGH))
    if kind.scale:
        names = {Kind.CSAT: labels.CSAT, Kind.CES: labels.AGREE7}.get(kind, labels.AGREE5)
        low, high = kind.scale
        opts = tuple(Option(str(n), str(names[n]), str(n) in chosen, prefix=str(n)) for n in range(low, high + 1))
        return "radio", opts, ()
    if kind == Kind.TRUST:
        return "radio", tuple(Option(v, str(labels.TRUST[v]), v in chosen, prefix={"agree": "👍", "disagree": "👎"}[v])
                              for v in question.values), ()
    if kind == Kind.FIXED:
        return "radio", tuple(Option(v, str(labels.FIXED[v]), v in chosen) for v in question.values), ()
    if kind == Kind.DRIVERS:
        return "checkbox", tuple(Option(v, str(labels.DRIVERS[v]), v in chosen) for v in question.values), ()
    if kind in (Kind.SINGLE, Kind.MULTI):
        widget = "checkbox" if kind == Kind.MULTI else "radio"
        return widget, tuple(Option(c.value, localized(c.label, lang), c.value in chosen)
                             for c in question.choices), ()
    return "textarea", (), ()


def _answer_label(target: Question, value, lang: str) -> str:
    for option in _options(target, lang, set())[1]:
        if option.value == str(value):
            return option.label
    return str(value)


def _lead_in(condition: Condition | None, survey: Survey, lang: str) -> str:
    if condition is None:
        return ""
    target = survey.question(condition.question)
    if condition.op == "answered":
        return _("Answer this if you answered the question above.")
    if condition.op in ("gte", "lte") and condition.values:
        value = condition.values[0]
        if condition.op == "gte":
            return _("Answer this if you chose %(value)s or higher above.", value=value)
        return _("Answer this if you chose %(value)s or lower above.", value=value)
    names = " / ".join(f"“{_answer_label(target, v, lang)}”" for v in condition.values)
    if condition.op == "not_in":
        return _("Answer this if you did not choose %(answers)s above.", answers=names)
    return _("Answer this if you chose %(answers)s above.", answers=names)


def build_fields(survey: Survey, lang: str, raw: Mapping[str, Sequence[str]] | None = None,
                 errors: Mapping[str, AnswerError] | None = None) -> list[Field]:
    """Every question of `survey` as a Field, with the resident's earlier input and errors."""
    raw = raw or {}
    errors = errors or {}
    fields = []
    for q in survey.questions:
        given = [v for v in raw.get(q.key, ()) if v]
        widget, options, hints = _options(q, lang, set(given))
        c = q.condition
        fields.append(Field(
            key=q.key, kind=q.kind.value, label=localized(q.text, lang), help=localized(q.help, lang),
            required=q.required, widget=widget, options=options, hints=hints,
            value=given[0] if widget == "textarea" and given else "",
            error=error_message(errors[q.key]) if q.key in errors else "",
            lead_in=_lead_in(c, survey, lang),
            show_if=json.dumps({"q": c.question, "op": c.op, "values": [str(v) for v in c.values]}) if c else "",
        ))
    return fields

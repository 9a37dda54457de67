"""Question kinds, their answer scales, and how an answer is parsed and checked.

Examples
--------
>>> q = Question(key="csat", kind=Kind.CSAT, text={"en": "How satisfied are you?"})
>>> q.parse(["4"])
4
>>> q.parse([])  # unanswered
>>> q.parse(["9"])
Traceback (most recent call last):
...
surveys.errors.AnswerError: range {'low': 1, 'high': 5}
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from surveys.errors import AnswerError

__all__ = [
    "Kind", "Choice", "Condition", "Question", "DRIVERS", "TRUST_VALUES", "FIXED_VALUES",
    "TEXT_MAX", "KEY_PATTERN", "Texts", "numeric",
]

#: A text in several languages: {"en": "...", "es": "..."}.
Texts = Mapping[str, str]

#: Longest free-text answer accepted, in characters.
TEXT_MAX = 4000
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

#: The A-11 v2 experience drivers, in the order they are shown.
DRIVERS: tuple[str, ...] = ("effectiveness", "ease", "efficiency", "transparency", "humanity", "employee", "other")
TRUST_VALUES: tuple[str, ...] = ("agree", "disagree")
FIXED_VALUES: tuple[str, ...] = ("yes", "partly", "no")


class Kind(enum.StrEnum):
    """What a question asks and how it is answered."""

    CSAT = "csat"  # satisfaction 1-5
    CES = "ces"  # effort, agreement with "it was easy" 1-7
    NPS = "nps"  # likelihood to recommend 0-10
    LIKERT = "likert"  # agreement 1-5
    TRUST = "trust"  # A-11 trust, thumbs up (agree) / down (disagree)
    TRUST5 = "trust5"  # A-11 trust on 1-5 agreement
    DRIVERS = "drivers"  # A-11 drivers, multi-select from DRIVERS
    SINGLE = "single"  # one of the designer's choices
    MULTI = "multi"  # any of the designer's choices
    TEXT = "text"  # free text up to TEXT_MAX characters
    FIXED = "fixed"  # "was it fixed?" yes / partly / no

    @property
    def scale(self) -> tuple[int, int] | None:
        """(low, high) of a numeric rating kind, else None."""
        return _SCALES.get(self)

    @property
    def multiple(self) -> bool:
        """True when an answer is a list of values."""
        return self in (Kind.DRIVERS, Kind.MULTI)

    @property
    def designer_choices(self) -> bool:
        """True when the designer supplies the choices."""
        return self in (Kind.SINGLE, Kind.MULTI)

    @property
    def fixed_values(self) -> tuple[str, ...] | None:
        """The built-in answer values of a kind with fixed options."""
        return {Kind.TRUST: TRUST_VALUES, Kind.FIXED: FIXED_VALUES, Kind.DRIVERS: DRIVERS}.get(self)


_SCALES = {
    Kind.CSAT: (1, 5), Kind.CES: (1, 7), Kind.NPS: (0, 10), Kind.LIKERT: (1, 5), Kind.TRUST5: (1, 5),
}


@dataclass(frozen=True)
class Choice:
    """An option of a single- or multiple-choice question."""

    value: str
    label: Texts = field(default_factory=dict)


#: Condition operators and what they test.
OPERATORS = {
    "in": "is one of",
    "not_in": "is not one of",
    "gte": "is at least",
    "lte": "is at most",
    "answered": "is answered",
}


@dataclass(frozen=True)
class Condition:
    """Show a question only when an earlier question's answer matches.

    Examples
    --------
    >>> Condition("trust", "in", ("agree",)).matches("agree")
    True
    >>> Condition("csat", "lte", (2,)).matches(4)
    False
    >>> Condition("drivers", "in", ("ease",)).matches(["ease", "other"])
    True
    >>> Condition("csat", "answered").matches(None)
    False
    """

    question: str
    op: str = "in"
    values: tuple = ()

    def matches(self, answer) -> bool:
        """True when `answer` (None if unanswered) satisfies the condition."""
        if answer is None or answer == [] or answer == "":
            return False
        if self.op == "answered":
            return True
        given = answer if isinstance(answer, list) else [answer]
        if self.op in ("gte", "lte"):
            if not self.values or not all(isinstance(a, int | float) for a in given):
                return False
            bound = float(self.values[0])
            return all(a >= bound if self.op == "gte" else a <= bound for a in given)
        wanted = {str(v) for v in self.values}
        hit = any(str(a) in wanted for a in given)
        return hit if self.op == "in" else not hit


@dataclass(frozen=True)
class Question:
    """One question of a survey version."""

    key: str
    kind: Kind
    text: Texts
    help: Texts = field(default_factory=dict)
    required: bool = False
    choices: tuple[Choice, ...] = ()
    condition: Condition | None = None

    @property
    def values(self) -> tuple[str, ...]:
        """The accepted answer values of a choice-like question (empty for scales and text)."""
        if self.kind.designer_choices:
            return tuple(c.value for c in self.choices)
        return self.kind.fixed_values or ()

    def parse(self, raw: Sequence[str]):
        """Turn submitted form values into the answer, None when unanswered.

        Raises AnswerError for out-of-range numbers, unknown choices, over-long
        text or several values for a single-answer question.
        """
        raw = [r.strip() if self.kind != Kind.TEXT else r for r in raw]
        raw = [r for r in raw if r.strip()]
        if not raw:
            return None
        if self.kind.multiple:
            unknown = [r for r in raw if r not in self.values]
            if unknown:
                raise AnswerError("choice")
            return [v for v in self.values if v in raw]  # canonical order, no repeats
        if len(raw) > 1:
            raise AnswerError("format")
        value = raw[0]
        if self.kind.scale:
            low, high = self.kind.scale
            if not re.fullmatch(r"-?\d{1,3}", value):
                raise AnswerError("format")
            number = int(value)
            if not low <= number <= high:
                raise AnswerError("range", low=low, high=high)
            return number
        if self.kind == Kind.TEXT:
            value = value.replace("\r\n", "\n").replace("\x00", "").strip()
            if len(value) > TEXT_MAX:
                raise AnswerError("too_long", max=TEXT_MAX, length=len(value))
            return value
        if value not in self.values:
            raise AnswerError("choice")
        return value


def numeric(kind: Kind, value) -> float | None:
    """A number for analysis: the rating itself, 1/0 for trust, 1/0.5/0 for fixed.

    >>> numeric(Kind.NPS, 9), numeric(Kind.TRUST, "agree"), numeric(Kind.FIXED, "partly")
    (9.0, 1.0, 0.5)
    """
    if value is None:
        return None
    if kind.scale:
        return float(value)
    if kind == Kind.TRUST:
        return 1.0 if value == "agree" else 0.0
    if kind == Kind.FIXED:
        return {"yes": 1.0, "partly": 0.5, "no": 0.0}[value]
    return None

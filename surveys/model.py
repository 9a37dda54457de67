"""A survey definition: its questions, design checks, display logic and answer validation.

A definition is plain data (``Survey.from_dict`` / ``to_dict``) so it can be
stored as one immutable document per published version.

Examples
--------
>>> s = Survey.from_dict({
...     "title": {"en": "Your request"},
...     "questions": [
...         {"key": "csat", "kind": "csat", "required": True, "text": {"en": "How satisfied are you?"}},
...         {"key": "why", "kind": "text", "text": {"en": "What went wrong?"},
...          "condition": {"question": "csat", "op": "lte", "values": [2]}},
...     ],
... })
>>> [q.key for q in s.visible({"csat": 5})]
['csat']
>>> answers, errors = s.validate({"csat": ["1"], "why": ["It was not fixed."]})
>>> answers, errors
({'csat': 1, 'why': 'It was not fixed.'}, {})
>>> s.validate({})[1]["csat"].code
'required'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from surveys.errors import AnswerError, DesignError
from surveys.languages import DEFAULT, is_supported
from surveys.questions import KEY_PATTERN, OPERATORS, Choice, Condition, Kind, Question, Texts

__all__ = ["Survey", "Problem", "TextRef", "localized"]

MAX_QUESTIONS = 60


def localized(texts: Texts, lang: str) -> str:
    """The text in `lang`, falling back to English, then to any language, then ''.

    >>> localized({"en": "Hello", "es": "Hola"}, "es"), localized({"en": "Hello"}, "ar")
    ('Hola', 'Hello')
    """
    return texts.get(lang) or texts.get(DEFAULT) or next(iter(texts.values()), "")


@dataclass(frozen=True)
class Problem:
    """Why a definition cannot be published; `question` is the key it concerns."""

    code: str
    message: str
    question: str | None = None


@dataclass(frozen=True)
class TextRef:
    """One translatable text of a survey, e.g. ("q", "csat", "text")."""

    id: str
    label: str
    texts: Texts


@dataclass(frozen=True)
class Survey:
    """A survey definition: a title, an introduction, languages and ordered questions."""

    title: Texts
    questions: tuple[Question, ...] = ()
    intro: Texts = field(default_factory=dict)
    languages: tuple[str, ...] = (DEFAULT,)

    # --- (de)serialisation ---------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping) -> Survey:
        """Build from stored JSON; raises DesignError when it is not even well-formed."""
        try:
            questions = tuple(_question_from_dict(q) for q in data.get("questions", ()))
        except (KeyError, TypeError, ValueError) as exc:
            raise DesignError([Problem("malformed", f"Malformed question: {exc}")]) from exc
        languages = tuple(data.get("languages") or (DEFAULT,))
        return cls(title=dict(data.get("title") or {}), intro=dict(data.get("intro") or {}),
                   questions=questions, languages=languages)

    def to_dict(self) -> dict:
        """The JSON-ready form `from_dict` reads back."""
        return {
            "title": dict(self.title),
            "intro": dict(self.intro),
            "languages": list(self.languages),
            "questions": [_question_to_dict(q) for q in self.questions],
        }

    # --- design checks ------------------------------------------------------------------

    def problems(self, *, publishing: bool = False) -> list[Problem]:
        """Every reason this definition cannot be used (publishing adds a few)."""
        found: list[Problem] = []
        if not self.title.get(DEFAULT, "").strip():
            found.append(Problem("title", "Give the survey an English title."))
        for lang in self.languages:
            if not is_supported(lang):
                found.append(Problem("language", f"Unknown language {lang!r}."))
        if publishing and not self.questions:
            found.append(Problem("empty", "Add at least one question before publishing."))
        if len(self.questions) > MAX_QUESTIONS:
            found.append(Problem("too_many", f"A survey can have at most {MAX_QUESTIONS} questions."))
        seen: set[str] = set()
        for q in self.questions:
            if not KEY_PATTERN.match(q.key):
                found.append(Problem("key", f"Question key {q.key!r} must be lower-case letters, digits "
                                            "and _ and start with a letter.", q.key))
            if q.key in seen:
                found.append(Problem("duplicate_key", f"Two questions have the key {q.key!r}.", q.key))
            seen.add(q.key)
            if not q.text.get(DEFAULT, "").strip():
                found.append(Problem("text", f"Question {q.key!r} needs its English text.", q.key))
            found.extend(_choice_problems(q))
        found.extend(self._condition_problems())
        return found

    def check(self, *, publishing: bool = False) -> None:
        """Raise DesignError listing every problem, if there is any."""
        problems = self.problems(publishing=publishing)
        if problems:
            raise DesignError(problems)

    def _condition_problems(self) -> list[Problem]:
        found = []
        position = {q.key: i for i, q in enumerate(self.questions)}
        by_key = {q.key: q for q in self.questions}
        for i, q in enumerate(self.questions):
            c = q.condition
            if c is None:
                continue
            if c.op not in OPERATORS:
                found.append(Problem("condition", f"Question {q.key!r}: unknown condition {c.op!r}.", q.key))
            elif c.question not in position:
                found.append(Problem("condition", f"Question {q.key!r} depends on {c.question!r}, "
                                                  "which does not exist.", q.key))
            elif c.question == q.key:
                found.append(Problem("condition", f"Question {q.key!r} cannot depend on itself.", q.key))
            elif position[c.question] > i:
                found.append(Problem("condition", f"Question {q.key!r} depends on {c.question!r}, which comes "
                                                  "later; a condition can only use an earlier question.", q.key))
            else:
                found.extend(_condition_value_problems(q, by_key[c.question]))
        for cycle in self.condition_cycles():
            found.append(Problem("cycle", "Conditions go round in a circle: " + " → ".join(cycle), cycle[0]))
        return found

    def condition_cycles(self) -> list[list[str]]:
        """Chains of conditions that loop back (each question has at most one condition).

        >>> s = Survey.from_dict({"title": {"en": "t"}, "questions": [
        ...     {"key": "a", "kind": "text", "text": {"en": "A"}, "condition": {"question": "b", "op": "answered"}},
        ...     {"key": "b", "kind": "text", "text": {"en": "B"}, "condition": {"question": "a", "op": "answered"}}]})
        >>> s.condition_cycles()
        [['a', 'b', 'a']]
        """
        parent = {q.key: q.condition.question for q in self.questions if q.condition}
        cycles, reported = [], set()
        for start in parent:
            path, node = [], start
            while node in parent and node not in path:
                path.append(node)
                node = parent[node]
            if node in path:
                loop = path[path.index(node):]
                if frozenset(loop) not in reported:
                    reported.add(frozenset(loop))
                    cycles.append([*loop, node])
        return cycles

    # --- display and answers --------------------------------------------------------------

    def question(self, key: str) -> Question:
        """The question with this key (KeyError when absent)."""
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)

    def visible(self, answers: Mapping[str, object]) -> list[Question]:
        """The questions shown given `answers`: a condition needs its question shown and matched."""
        shown: dict[str, Question] = {}
        for q in self.questions:
            c = q.condition
            if c is None or (c.question in shown and c.matches(answers.get(c.question))):
                shown[q.key] = q
        return list(shown.values())

    def validate(self, raw: Mapping[str, Sequence[str]]) -> tuple[dict[str, object], dict[str, AnswerError]]:
        """Parse submitted values of every question.

        Returns the answers of visible questions (hidden ones are dropped, so a
        changed mind leaves no stale answer) and an error per question key.
        """
        parsed: dict[str, object] = {}
        errors: dict[str, AnswerError] = {}
        for q in self.questions:
            try:
                value = q.parse(list(raw.get(q.key, ())))
            except AnswerError as exc:
                errors[q.key] = exc
                continue
            if value is not None:
                parsed[q.key] = value
        shown = self.visible(parsed)
        visible_keys = {q.key for q in shown}
        for q in shown:
            if q.required and q.key not in parsed and q.key not in errors:
                errors[q.key] = AnswerError("required")
        answers = {k: v for k, v in parsed.items() if k in visible_keys}
        errors = {k: e for k, e in errors.items() if k in visible_keys}
        return answers, errors

    # --- translations ---------------------------------------------------------------------

    def texts(self) -> Iterator[TextRef]:
        """Every translatable text, in reading order."""
        yield TextRef("title", "Title", self.title)
        if self.intro:
            yield TextRef("intro", "Introduction", self.intro)
        for q in self.questions:
            yield TextRef(f"q.{q.key}.text", f"{q.key}: question", q.text)
            if q.help:
                yield TextRef(f"q.{q.key}.help", f"{q.key}: help text", q.help)
            for c in q.choices:
                yield TextRef(f"q.{q.key}.choice.{c.value}", f"{q.key}: choice {c.value}", c.label)

    def missing(self, lang: str) -> list[TextRef]:
        """The texts with English wording but none in `lang`."""
        return [t for t in self.texts() if t.texts.get(DEFAULT) and not (t.texts.get(lang) or "").strip()]

    def completeness(self, languages: Sequence[str] | None = None) -> dict[str, tuple[int, int]]:
        """(translated, total) texts per language (the offered ones by default)."""
        total = sum(1 for t in self.texts() if t.texts.get(DEFAULT))
        return {lang: (total - len(self.missing(lang)), total) for lang in (languages or self.languages)}


def _question_from_dict(d: Mapping) -> Question:
    condition = d.get("condition")
    return Question(
        key=str(d["key"]),
        kind=Kind(d["kind"]),
        text=dict(d.get("text") or {}),
        help=dict(d.get("help") or {}),
        required=bool(d.get("required", False)),
        choices=tuple(Choice(str(c["value"]), dict(c.get("label") or {})) for c in d.get("choices") or ()),
        condition=Condition(str(condition["question"]), str(condition.get("op", "in")),
                            tuple(condition.get("values") or ())) if condition else None,
    )


def _question_to_dict(q: Question) -> dict:
    d: dict = {"key": q.key, "kind": q.kind.value, "required": q.required, "text": dict(q.text)}
    if q.help:
        d["help"] = dict(q.help)
    if q.choices:
        d["choices"] = [{"value": c.value, "label": dict(c.label)} for c in q.choices]
    if q.condition:
        d["condition"] = {"question": q.condition.question, "op": q.condition.op,
                          "values": list(q.condition.values)}
    return d


def _choice_problems(q: Question) -> list[Problem]:
    if not q.kind.designer_choices:
        if q.choices:
            return [Problem("choices", f"Question {q.key!r} ({q.kind.value}) has fixed answers; "
                                       "remove its choices.", q.key)]
        return []
    found = []
    if len(q.choices) < 2:
        found.append(Problem("choices", f"Question {q.key!r} needs at least two choices.", q.key))
    values = [c.value for c in q.choices]
    if len(set(values)) != len(values):
        found.append(Problem("choices", f"Question {q.key!r} has two choices with the same value.", q.key))
    for c in q.choices:
        if not c.value.strip() or not c.label.get(DEFAULT, "").strip():
            found.append(Problem("choices", f"Every choice of {q.key!r} needs a value and an English label.",
                                 q.key))
            break
    return found


def _condition_value_problems(q: Question, target: Question) -> list[Problem]:
    c = q.condition
    if c.op == "answered":
        return []
    if not c.values:
        return [Problem("condition", f"Question {q.key!r}: say which answers of {target.key!r} show it.", q.key)]
    if c.op in ("gte", "lte"):
        if not target.kind.scale:
            return [Problem("condition", f"Question {q.key!r}: {target.key!r} is not a rating, "
                                         "so 'at least/at most' does not apply.", q.key)]
        low, high = target.kind.scale
        if not all(isinstance(v, int | float) and low <= v <= high for v in c.values):
            return [Problem("condition", f"Question {q.key!r}: the value must be between {low} and {high}.", q.key)]
        return []
    if target.kind.scale:
        low, high = target.kind.scale
        if not all(str(v).lstrip("-").isdigit() and low <= int(v) <= high for v in c.values):
            return [Problem("condition", f"Question {q.key!r}: values must be ratings {low}-{high}.", q.key)]
        return []
    if target.kind == Kind.TEXT:
        return [Problem("condition", f"Question {q.key!r}: a free-text answer can only be tested "
                                     "for being answered.", q.key)]
    unknown = [str(v) for v in c.values if str(v) not in target.values]
    if unknown:
        return [Problem("condition", f"Question {q.key!r}: {', '.join(unknown)} is not an answer of "
                                     f"{target.key!r}.", q.key)]
    return []

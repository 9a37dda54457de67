"""Designer forms: new survey, settings, questions, translations, test links, staff entry."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from surveys.languages import DEFAULT, LANGUAGES
from surveys.questions import KEY_PATTERN, Choice, Condition, Kind, Question
from surveys.templates import TEMPLATES
from vocapp.errors import ValidationError
from vocapp.forms import CheckboxListField
from vocapp.services.responses import ASSISTED_CHANNELS

#: How each kind is named for designers.
KIND_LABELS = {
    Kind.CSAT: "Satisfaction (CSAT, 1-5)",
    Kind.CES: "Effort (CES, 1-7 agreement: the City made it easy)",
    Kind.NPS: "Likelihood to recommend (NPS, 0-10)",
    Kind.LIKERT: "Agreement (1-5)",
    Kind.TRUST: "A-11 trust (agree / disagree)",
    Kind.TRUST5: "A-11 trust (1-5 agreement)",
    Kind.DRIVERS: "A-11 drivers (choose all that apply)",
    Kind.SINGLE: "Single choice",
    Kind.MULTI: "Multiple choice",
    Kind.TEXT: "Free text",
    Kind.FIXED: "Was it fixed? (yes / partly / no)",
}
OPERATOR_LABELS = {
    "in": "is one of",
    "not_in": "is not one of",
    "gte": "is at least",
    "lte": "is at most",
    "answered": "is answered",
}
CHANNEL_LABELS = {"phone": "Phone call", "paper": "Paper form", "in_person": "In person"}


def _languages(include_english: bool = False) -> list[SelectChoice]:
    return [SelectChoice(lang.code, f"{lang.english} ({lang.native})") for lang in LANGUAGES
            if include_english or lang.code != DEFAULT]


class NewSurveyForm(FlaskForm):
    """Department, name and where to start from."""

    department = SelectField("Department", coerce=int, validators=[DataRequired()])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)],
                       description="For staff; residents see the survey's title.")
    template = RadioField(
        "Start from",
        choices=[*(SelectChoice(t.id, f"{t.name}: {t.description}") for t in TEMPLATES.values()),
                 SelectChoice("blank", "A blank survey")],
        default="post_service", validators=[DataRequired()],
    )
    submit = SubmitField("Create survey")


class SettingsForm(FlaskForm):
    """Staff name, English title and introduction, offered languages."""

    name = StringField("Name (staff)", validators=[DataRequired(), Length(max=200)])
    title = StringField("Title (residents, English)", validators=[DataRequired(), Length(max=200)])
    intro = TextAreaField("Introduction (English)", validators=[Optional(), Length(max=1000)],
                          description="One or two sentences shown under the title.")
    languages = CheckboxListField("Languages offered besides English", choices=_languages(),
                                  description="Texts without a translation are shown in English.")
    submit = SubmitField("Save settings")


class QuestionForm(FlaskForm):
    """One question: what it asks, how it is answered, when it is shown."""

    key = StringField("Key", validators=[DataRequired(), Length(max=40)],
                      description="Short and stable, used in exports and reports: lower-case letters, digits and _.",
                      render_kw={"spellcheck": "false", "autocapitalize": "none"})
    kind = SelectField("Kind", choices=[SelectChoice(k.value, label) for k, label in KIND_LABELS.items()])
    text = TextAreaField("Question (English)", validators=[DataRequired(), Length(max=500)],
                         render_kw={"rows": 2})
    help = TextAreaField("Help text (English)", validators=[Optional(), Length(max=500)],
                         render_kw={"rows": 2})
    required = BooleanField("Residents must answer it")
    choices = TextAreaField(
        "Choices", validators=[Optional(), Length(max=4000)], render_kw={"rows": 4},
        description="Single and multiple choice only: one per line, as “value | Label” or just “Label”.",
    )
    condition_question = SelectField("Show only when the answer to", validate_choice=False,
                                     choices=[SelectChoice("", "(always show)")])
    condition_op = SelectField("Condition", default="in",
                               choices=[SelectChoice(k, v) for k, v in OPERATOR_LABELS.items()])
    condition_values = StringField("Values", validators=[Optional(), Length(max=200)],
                                   description="Comma-separated, e.g. “agree” or “1, 2”. "
                                               "Not needed for “is answered”.")
    submit = SubmitField("Save question")

    def to_question(self) -> Question:
        """The domain question this form describes; ValidationError names the bad field."""
        key = self.key.data.strip()
        if not KEY_PATTERN.match(key):
            raise ValidationError("Use lower-case letters, digits and _, starting with a letter.", field="key")
        kind = Kind(self.kind.data)
        return Question(
            key=key, kind=kind, text={DEFAULT: self.text.data.strip()},
            help={DEFAULT: self.help.data.strip()} if (self.help.data or "").strip() else {},
            required=bool(self.required.data), choices=self._choices(kind), condition=self._condition(),
        )

    def _choices(self, kind: Kind) -> tuple[Choice, ...]:
        lines = [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()]
        if not kind.designer_choices:
            if lines:
                raise ValidationError(f"{KIND_LABELS[kind]} has its own answers; leave choices empty.",
                                      field="choices")
            return ()
        result = []
        for line in lines:
            value, sep, label = (part.strip() for part in line.partition("|"))
            if not sep:
                value, label = _slug(line), line
            if not value or not label:
                raise ValidationError(f"“{line}” needs a value and a label.", field="choices")
            result.append(Choice(value[:40], {DEFAULT: label}))
        return tuple(result)

    def _condition(self) -> Condition | None:
        target = (self.condition_question.data or "").strip()
        if not target:
            return None
        op = self.condition_op.data
        raw = [v.strip() for v in (self.condition_values.data or "").split(",") if v.strip()]
        values: list = [int(v) if re.fullmatch(r"-?\d+", v) and op in ("gte", "lte") else v for v in raw]
        if op != "answered" and not values:
            raise ValidationError("Say which answers show this question.", field="condition_values")
        return Condition(target, op, tuple(values) if op != "answered" else ())

    def fill(self, question: Question) -> None:
        """Show an existing question in the form."""
        self.key.data, self.kind.data = question.key, question.kind.value
        self.text.data, self.help.data = question.text.get(DEFAULT, ""), question.help.get(DEFAULT, "")
        self.required.data = question.required
        self.choices.data = "\n".join(f"{c.value} | {c.label.get(DEFAULT, '')}" for c in question.choices)
        if question.condition:
            self.condition_question.data = question.condition.question
            self.condition_op.data = question.condition.op
            self.condition_values.data = ", ".join(str(v) for v in question.condition.values)


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return slug if slug and slug[0].isalpha() else f"c_{slug}".rstrip("_")


class TestLinksForm(FlaskForm):
    """Languages to make one-time test links in."""

    languages = CheckboxListField("Languages", choices=_languages(include_english=True), default=[DEFAULT])
    submit = SubmitField("Make test links")


class EntryForm(FlaskForm):
    """How a staff-entered response reached us (the answers are the survey's own fields)."""

    channel = SelectField("How the resident answered",
                          choices=[SelectChoice(c, CHANNEL_LABELS[c]) for c in ASSISTED_CHANNELS])
    language = SelectField("Language the resident answered in", choices=_languages(include_english=True),
                           default=DEFAULT)
    submit = SubmitField("Save response")

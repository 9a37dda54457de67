"""Designing surveys: drafts, questions, translations, publishing, archiving, cloning."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace

from sqlalchemy import Select, func, select

from surveys import model as domain
from surveys.errors import DesignError
from surveys.languages import DEFAULT, is_supported
from surveys.questions import Question
from surveys.templates import TEMPLATES
from vocapp.db import db, utcnow
from vocapp.errors import ValidationError
from vocapp.models import Department, Survey, SurveyStatus, SurveyVersion, User, VersionStatus
from vocapp.services import audit

__all__ = [
    "create_survey", "definition", "edit", "add_question", "replace_question", "move_question",
    "remove_question", "set_translations", "set_settings", "publish", "archive", "restore", "clone",
    "set_public_link", "surveys_visible_to", "first_free",
]


def definition(version: SurveyVersion) -> domain.Survey:
    """The domain view of a stored version (parsed once per loaded published version)."""
    if version.status != VersionStatus.PUBLISHED:
        return domain.Survey.from_dict(version.definition)
    # Published versions never change, so the parsed form can live on the loaded row.
    parsed = version.__dict__.get("_parsed_definition")
    if parsed is None:
        parsed = version.__dict__["_parsed_definition"] = domain.Survey.from_dict(version.definition)
    return parsed


def surveys_visible_to(user: User, *, include_archived: bool = True) -> Select:
    """Surveys of the departments `user` may see, newest first."""
    query = select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())
    if not user.sees_all_departments:
        query = query.where(Survey.department_id.in_(user.department_ids or {-1}))
    if not include_archived:
        query = query.where(Survey.status == SurveyStatus.ACTIVE)
    return query


def _record(actor: User | None, action: str, survey: Survey, changes: dict | None = None) -> None:
    audit.record(actor, action, survey, label=survey.name, department_id=survey.department_id,
                 changes=changes or {})


def _first_problem(problems: list[domain.Problem], field: str | None = None) -> ValidationError:
    return ValidationError(" ".join(p.message for p in problems), field=field)


def create_survey(actor: User | None, *, department: Department, name: str, template: str | None = None,
                  actor_label: str | None = None) -> Survey:
    """A new survey with draft version 1, blank or from a template."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Give the survey a name.", field="name")
    if template and template not in TEMPLATES:
        raise ValidationError(f"Unknown template {template!r}.", field="template")
    body = TEMPLATES[template].survey().to_dict() if template else domain.Survey(title={DEFAULT: name}).to_dict()
    survey = Survey(department=department, name=name, template=template, created_by=actor)
    survey.versions.append(SurveyVersion(number=1, status=VersionStatus.DRAFT, definition=body))
    db.session.add(survey)
    db.session.flush()
    audit.record(actor, "survey.create", survey, label=name, department_id=department.id,
                 changes={"template": [None, template or "blank"]}, actor_label=actor_label)
    return survey


def _open_draft(survey: Survey) -> SurveyVersion:
    """The draft to edit: the open one, or a new one copied from the live version."""
    if survey.archived:
        raise ValidationError("This survey is archived; restore it before editing.")
    if survey.draft is not None:
        return survey.draft
    draft = SurveyVersion(number=survey.latest.number + 1, status=VersionStatus.DRAFT,
                          definition=survey.latest.definition)
    survey.versions.append(draft)
    return draft


def edit(actor: User | None, survey: Survey, change: Callable[[domain.Survey], domain.Survey], *,
         action: str, summary: dict | None = None, field: str | None = None) -> SurveyVersion:
    """Apply `change` to the draft; the result must be a valid definition or nothing is saved.

    Editing a published survey opens a new draft version; the published one
    (and every response pointing at it) stays as it was.
    """
    current = definition(survey.draft or survey.latest)
    try:
        updated = change(current)
    except DesignError as exc:
        raise _first_problem(exc.problems, field) from exc
    problems = updated.problems()
    if problems:
        raise _first_problem(problems, field)
    draft = _open_draft(survey)
    draft.definition = updated.to_dict()
    db.session.flush()
    _record(actor, action, survey, {"version": draft.number, **(summary or {})})
    return draft


def add_question(actor: User | None, survey: Survey, question: Question) -> SurveyVersion:
    """Append a question."""
    def change(s: domain.Survey) -> domain.Survey:
        if any(q.key == question.key for q in s.questions):
            raise DesignError([domain.Problem("duplicate_key", f"Another question already has the key "
                                                               f"{question.key!r}.", question.key)])
        return replace(s, questions=(*s.questions, question))

    return edit(actor, survey, change, action="survey.question.add", summary={"question": question.key},
                field="key")


def replace_question(actor: User | None, survey: Survey, key: str, question: Question) -> SurveyVersion:
    """Replace question `key` (its key may change; conditions pointing at it follow)."""
    def change(s: domain.Survey) -> domain.Survey:
        if question.key != key and any(q.key == question.key for q in s.questions):
            raise DesignError([domain.Problem("duplicate_key", f"Another question already has the key "
                                                               f"{question.key!r}.", question.key)])
        old = s.question(key)
        # Keep translations the form does not edit (it edits English only).
        merged = replace(question, text={**old.text, **question.text}, help=_merge(old.help, question.help),
                         choices=tuple(replace(c, label={**_old_label(old, c.value), **c.label})
                                       for c in question.choices))
        questions = []
        for q in s.questions:
            if q.key == key:
                q = merged
            elif q.condition and q.condition.question == key:
                q = replace(q, condition=replace(q.condition, question=question.key))
            questions.append(q)
        return replace(s, questions=tuple(questions))

    return edit(actor, survey, change, action="survey.question.edit", summary={"question": key}, field="key")


def _merge(old: Mapping[str, str], new: Mapping[str, str]) -> dict[str, str]:
    if not new.get(DEFAULT):
        return {}
    return {**old, **new}


def _old_label(question: Question, value: str) -> dict[str, str]:
    for c in question.choices:
        if c.value == value:
            return dict(c.label)
    return {}


def move_question(actor: User | None, survey: Survey, key: str, offset: int) -> SurveyVersion:
    """Move a question up (-1) or down (+1)."""
    def change(s: domain.Survey) -> domain.Survey:
        questions = list(s.questions)
        i = next(i for i, q in enumerate(questions) if q.key == key)
        j = max(0, min(len(questions) - 1, i + offset))
        questions.insert(j, questions.pop(i))
        return replace(s, questions=tuple(questions))

    return edit(actor, survey, change, action="survey.question.move", summary={"question": key})


def remove_question(actor: User | None, survey: Survey, key: str) -> SurveyVersion:
    """Remove a question no other question depends on."""
    def change(s: domain.Survey) -> domain.Survey:
        dependants = [q.key for q in s.questions if q.condition and q.condition.question == key]
        if dependants:
            raise DesignError([domain.Problem("condition", f"{', '.join(dependants)} depends on {key!r}; "
                                                           "change that condition first.", key)])
        return replace(s, questions=tuple(q for q in s.questions if q.key != key))

    return edit(actor, survey, change, action="survey.question.remove", summary={"question": key})


def set_settings(actor: User | None, survey: Survey, *, name: str, title: str, intro: str,
                 languages: list[str]) -> SurveyVersion:
    """Change the staff name, the English title and introduction, and the offered languages."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError("Give the survey a name.", field="name")
    unknown = [lang for lang in languages if not is_supported(lang)]
    if unknown:
        raise ValidationError(f"Unknown language {', '.join(unknown)}.", field="languages")
    languages = [DEFAULT, *[lang for lang in languages if lang != DEFAULT]]

    def change(s: domain.Survey) -> domain.Survey:
        return replace(s, title={**s.title, DEFAULT: title.strip()},
                       intro=_merge(s.intro, {DEFAULT: intro.strip()}), languages=tuple(languages))

    before = survey.name
    version = edit(actor, survey, change, action="survey.settings", field="title",
                   summary={"languages": languages})
    if name != before:
        survey.name = name
        _record(actor, "survey.rename", survey, {"name": [before, name]})
    return version


def set_translations(actor: User | None, survey: Survey, lang: str, texts: Mapping[str, str]) -> SurveyVersion:
    """Set the `lang` wording of texts by TextRef id ("title", "q.csat.text", ...); blank removes it."""
    if lang == DEFAULT or not is_supported(lang):
        raise ValidationError(f"Translations are for the resident languages other than English, not {lang!r}.")

    def put(m: Mapping[str, str], text_id: str) -> dict[str, str]:
        out = dict(m)
        value = (texts.get(text_id) or "").strip()
        if value:
            out[lang] = value
        else:
            out.pop(lang, None)
        return out

    def change(s: domain.Survey) -> domain.Survey:
        questions = []
        for q in s.questions:
            prefix = f"q.{q.key}"
            questions.append(replace(
                q, text=put(q.text, f"{prefix}.text"),
                help=put(q.help, f"{prefix}.help") if q.help else q.help,
                choices=tuple(replace(c, label=put(c.label, f"{prefix}.choice.{c.value}")) for c in q.choices),
            ))
        langs = s.languages if lang in s.languages else (*s.languages, lang)
        return replace(s, title=put(s.title, "title"), intro=put(s.intro, "intro") if s.intro else s.intro,
                       questions=tuple(questions), languages=langs)

    filled = sum(1 for v in texts.values() if (v or "").strip())
    return edit(actor, survey, change, action="survey.translate", summary={"language": lang, "texts": filled})


def publish(actor: User | None, survey: Survey) -> SurveyVersion:
    """Freeze the draft as the live version."""
    draft = survey.draft
    if draft is None:
        raise ValidationError("There is no draft to publish; the live version is already the newest.")
    problems = definition(draft).problems(publishing=True)
    if problems:
        raise _first_problem(problems)
    draft.status = VersionStatus.PUBLISHED
    draft.published_at = utcnow()
    draft.published_by_id = actor.id if actor else None
    db.session.flush()
    _record(actor, "survey.publish", survey, {"version": draft.number})
    return draft


def archive(actor: User | None, survey: Survey) -> None:
    """Retire a survey: no new answers, history kept."""
    if not survey.archived:
        survey.status = SurveyStatus.ARCHIVED
        _record(actor, "survey.archive", survey, {"status": ["active", "archived"]})


def restore(actor: User | None, survey: Survey) -> None:
    """Bring an archived survey back."""
    if survey.archived:
        survey.status = SurveyStatus.ACTIVE
        _record(actor, "survey.restore", survey, {"status": ["archived", "active"]})


def clone(actor: User | None, survey: Survey, *, department: Department | None = None) -> Survey:
    """A new survey whose draft v1 copies the newest version of `survey`."""
    department = department or survey.department
    copy = Survey(department=department, name=_copy_name(survey.name), template=None, created_by=actor)
    copy.versions.append(SurveyVersion(number=1, status=VersionStatus.DRAFT,
                                       definition=survey.latest.definition))
    db.session.add(copy)
    db.session.flush()
    audit.record(actor, "survey.clone", copy, label=copy.name, department_id=department.id,
                 changes={"from": [None, survey.name]})
    return copy


def first_free(base: str, taken: set[str], numbered: str = "{base} ({n})") -> str:
    """`base`, or the first of its numbered forms (from 2) not in `taken`."""
    if base not in taken:
        return base
    n = 2
    while numbered.format(base=base, n=n) in taken:
        n += 1
    return numbered.format(base=base, n=n)


def _copy_name(name: str) -> str:
    base = f"Copy of {name}"[:190]
    return first_free(base, set(db.session.scalars(select(Survey.name).where(Survey.name.like(f"{base}%")))))


def set_public_link(actor: User | None, survey: Survey, enabled: bool) -> None:
    """Turn the anonymous public link (and its QR code) on or off; a new link each time it is turned on."""
    if enabled and survey.public_slug is None:
        survey.public_slug = secrets.token_urlsafe(9)
        _record(actor, "survey.public_link", survey, {"public_link": ["off", "on"]})
    elif not enabled and survey.public_slug is not None:
        survey.public_slug = None
        _record(actor, "survey.public_link", survey, {"public_link": ["on", "off"]})


def response_count(survey: Survey) -> int:
    """How many responses the survey has (all versions)."""
    from vocapp.models import Response

    return db.session.scalar(select(func.count()).select_from(Response).where(Response.survey_id == survey.id))

"""Read-only look-ups the campaign pages need: visible campaigns, survey versions, known codes."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Select, func, null, select
from wtforms.fields.choices import SelectChoice

from vocapp.db import db
from vocapp.models import Campaign, ServiceRequest, Survey, SurveyStatus, SurveyVersion, User, VersionStatus

__all__ = ["campaigns_visible_to", "version_choices", "known_values", "scope_of"]

HINT_SIZE = 20


def scope_of(user: User) -> set[int] | None:
    """The departments `user` may target (None: any)."""
    return None if user.sees_all_departments else user.department_ids


def campaigns_visible_to(user: User) -> Select:
    """Campaigns of the user's departments, newest first."""
    query = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    if not user.sees_all_departments:
        query = query.where(Campaign.department_id.in_(user.department_ids or {-1}))
    return query


def version_choices(user: User, survey: Survey | None = None) -> list[SelectChoice]:
    """Published versions as “Survey — v3”: of `survey`, or of every active survey the user may see."""
    query = (select(SurveyVersion).join(Survey).where(SurveyVersion.status == VersionStatus.PUBLISHED)
             .order_by(Survey.name, Survey.id, SurveyVersion.number.desc()))
    if survey is not None:
        query = query.where(Survey.id == survey.id)
    else:
        query = query.where(Survey.status == SurveyStatus.ACTIVE)
        if not user.sees_all_departments:
            query = query.where(Survey.department_id.in_(user.department_ids or {-1}))
    versions = list(db.session.scalars(query))
    several = len({v.survey.department_id for v in versions}) > 1

    def label(v: SurveyVersion) -> str:
        live = " (live)" if v.survey.live is v else ""
        where = f" · {v.survey.department.name}" if several else ""
        return f"{v.survey.name} — v{v.number}{live}{where}"

    return [SelectChoice(v.id, label(v)) for v in versions]


def known_values(column, department_ids: Collection[int] | None) -> list[tuple[str, str | None, int]]:
    """The most frequent values of a request column in these departments: (value, service name, requests)."""
    name = func.max(ServiceRequest.service_name) if column is ServiceRequest.service_code else null()
    query = (select(column, name, func.count()).where(column.is_not(None), column != "")
             .group_by(column).order_by(func.count().desc(), column).limit(HINT_SIZE))
    if department_ids is not None:
        query = query.where(ServiceRequest.department_id.in_(department_ids or {-1}))
    return [(value, label, n) for value, label, n in db.session.execute(query)]

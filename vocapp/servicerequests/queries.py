"""Read-only queries of the request pages. Contact details are never selected, only whether they exist."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import defer

from vocapp.db import db
from vocapp.models import Department, ImportRun, RejectedRow, ServiceRequest, User
from vocapp.pagination import Page
from vocapp.servicerequests.forms import UNMAPPED, RequestFilters

__all__ = ["Page", "requests_page", "import_runs", "rejected_rows"]

_R = ServiceRequest


def _scoped(query: Select, user: User) -> Select:
    """Requests of the user's departments; admins also see those no department claims."""
    if user.is_admin:
        return query
    if user.sees_all_departments:
        return query.where(_R.department_id.is_not(None))
    return query.where(_R.department_id.in_(user.department_ids or {-1}))


def _local_start(day, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _filtered(query: Select, filters: RequestFilters, zone: ZoneInfo) -> Select:
    if filters.status:
        query = query.where(_R.status == filters.status)
    if filters.channel:
        query = query.where(_R.channel == filters.channel)
    if filters.service_code:
        query = query.where(_R.service_code == filters.service_code)
    if filters.ward:
        query = query.where(_R.ward == filters.ward)
    if filters.department == UNMAPPED:
        query = query.where(_R.department_id.is_(None))
    elif filters.department:
        query = query.where(_R.department_id == int(filters.department))
    # Dates are whole local days in the city's time zone, both ends included.
    if filters.closed_from:
        query = query.where(_R.closed_at >= _local_start(filters.closed_from, zone))
    if filters.closed_to:
        query = query.where(_R.closed_at < _local_start(filters.closed_to + timedelta(days=1), zone))
    return query


def requests_page(user: User, filters: RequestFilters, zone: ZoneInfo, page: int, per_page: int) -> Page:
    """Requests in the user's scope matching `filters`, newest closed first (still open ones last)."""
    where = _filtered(_scoped(select(_R.id), user), filters, zone)
    total = db.session.scalar(select(func.count()).select_from(where.subquery()))
    page = Page.clamp(page, total, per_page)
    columns = (_R.id, _R.source, _R.source_id, _R.service_code, _R.service_name, Department.name.label("department"),
               _R.channel, _R.ward, _R.zip, _R.language, _R.status, _R.requested_at, _R.closed_at, _R.reopened,
               _R.duplicate_of,
               case((_R.contact_email.is_not(None), True), else_=False).label("email_on_file"),
               case((_R.contact_phone.is_not(None), True), else_=False).label("phone_on_file"))
    query = (_filtered(_scoped(select(*columns).outerjoin(Department, Department.id == _R.department_id), user),
                       filters, zone)
             .order_by(_R.closed_at.desc().nulls_last(), _R.id.desc())
             .limit(per_page).offset((page - 1) * per_page))
    return Page(list(db.session.execute(query)), page, per_page, total)


def import_runs() -> Select:
    """Every import run, newest first."""
    return select(ImportRun).order_by(ImportRun.started_at.desc(), ImportRun.id.desc())


def rejected_rows(run: ImportRun, *, with_raw: bool) -> Select:
    """A run's rejected rows by line; the raw text only when asked for (it may hold personal data)."""
    query = select(RejectedRow).where(RejectedRow.run_id == run.id).order_by(RejectedRow.line, RejectedRow.id)
    # Not even loaded for the others: a template slip then fails loudly instead of showing it.
    return query if with_raw else query.options(defer(RejectedRow.raw, raiseload=True))

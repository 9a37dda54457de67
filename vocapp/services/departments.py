"""Departments: creation and changes."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from vocapp.db import db
from vocapp.errors import ValidationError
from vocapp.models import Department, User
from vocapp.services import audit

__all__ = ["create_department", "update_department", "visible_departments"]

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")


def _state(dept: Department) -> dict:
    return {"code": dept.code, "name": dept.name, "active": dept.active}


def _check(dept: Department | None, code: str, name: str) -> tuple[str, str]:
    code, name = code.strip().upper(), " ".join(name.split())
    if not _CODE.match(code):
        raise ValidationError("Use 1-20 letters, digits, - or _ for the code.", field="code")
    if not name:
        raise ValidationError("Enter the department's name.", field="name")
    for column, value, field in ((Department.code, code, "code"), (Department.name, name, "name")):
        clash = db.session.scalar(select(Department).where(func.lower(column) == value.lower()))
        if clash is not None and clash is not dept:
            raise ValidationError(f"Another department already has this {field}.", field=field)
    return code, name


def create_department(actor: User | None, *, code: str, name: str, actor_label: str | None = None) -> Department:
    """Add a department."""
    code, name = _check(None, code, name)
    dept = Department(code=code, name=name, active=True)
    db.session.add(dept)
    db.session.flush()
    audit.record(actor, "department.create", dept, label=dept.name, department_id=dept.id,
                 changes={k: [None, v] for k, v in _state(dept).items()}, actor_label=actor_label)
    return dept


def update_department(actor: User | None, dept: Department, *, code: str, name: str, active: bool) -> Department:
    """Rename, recode, deactivate or reactivate a department."""
    code, name = _check(dept, code, name)
    before = _state(dept)
    dept.code, dept.name, dept.active = code, name, active
    changes = audit.diff(before, _state(dept))
    if changes:
        audit.record(actor, "department.update", dept, label=dept.name, department_id=dept.id, changes=changes)
    return dept


def visible_departments(user: User, *, include_inactive: bool = True) -> list[Department]:
    """The departments `user` may see, by name."""
    query = select(Department).order_by(Department.name)
    if not user.sees_all_departments:
        query = query.where(Department.id.in_(user.department_ids or {-1}))
    if not include_inactive:
        query = query.where(Department.active.is_(True))
    return list(db.session.scalars(query))

"""Recording and reading the audit log."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import Select, select

from vocapp.db import db
from vocapp.models import AuditEntry, User

__all__ = ["record", "diff", "entries_visible_to", "SECRET"]

#: What the log shows instead of a secret's value.
SECRET = "(changed)"  # noqa: S105  (a placeholder, not a password)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Return {field: [old, new]} for the fields whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def record(
    actor: User | None,
    action: str,
    obj: Any,
    *,
    label: str,
    changes: dict[str, Any] | None = None,
    department_id: int | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Add an audit entry for `action` on `obj` (flushed so the object has its id)."""
    db.session.flush()
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else (actor_label or "system"),
        action=action,
        object_type=type(obj).__name__.lower(),
        object_id=str(obj.id),
        object_label=label,
        department_id=department_id,
        changes=changes or {},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def entries_visible_to(user: User, *, object_type: str | None = None, object_id: str | None = None,
                       department_id: int | None = None, actor: str | None = None) -> Select:
    """A newest-first query of the entries `user` may read, narrowed by the given filters."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if not user.sees_all_departments:
        query = query.where(AuditEntry.department_id.in_(user.department_ids or {-1}))
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    if department_id:
        query = query.where(AuditEntry.department_id == department_id)
    if actor:
        query = query.where(AuditEntry.actor_label.contains(actor.lower(), autoescape=True))
    return query

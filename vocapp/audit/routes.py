"""The audit log page: admins read everything, DCXOs their departments."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from vocapp.access import roles_required
from vocapp.audit import bp
from vocapp.db import db
from vocapp.models import AuditEntry, Role
from vocapp.services.audit import entries_visible_to
from vocapp.services.departments import visible_departments

PAGE_SIZE = 50


@bp.get("/")
@roles_required(Role.ADMIN, Role.DCXO)
def index():
    """Newest changes first, filtered by object, department and actor."""
    object_type = request.args.get("type", "").strip()
    actor = request.args.get("actor", "").strip()
    object_id = request.args.get("object", "").strip()
    department_id = request.args.get("department", type=int)
    query = entries_visible_to(current_user, object_type=object_type or None, object_id=object_id or None,
                               department_id=department_id, actor=actor or None)
    page = db.paginate(query, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False)
    types = db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)).all()
    return render_template(
        "audit/index.html", page=page, types=types, departments=visible_departments(current_user),
        filters={"type": object_type, "actor": actor, "department": department_id, "object": object_id},
    )

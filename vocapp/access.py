"""Who may see what: role checks and department scope for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import abort
from flask_login import current_user, login_required

from vocapp.db import db
from vocapp.models import Role

__all__ = ["roles_required", "get_scoped_or_404", "require_department"]

F = TypeVar("F", bound=Callable)


def roles_required(*roles: Role | str) -> Callable[[F], F]:
    """Let signed-in users with one of `roles` through; others get 403."""
    allowed = {Role(r) for r in roles}

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def require_department(department_id: int | None) -> None:
    """404 unless the current user may see objects of this department."""
    if not current_user.can_see_department(department_id):
        abort(404)


def get_scoped_or_404(model: type, ident: int, department_attr: str = "department_id"):
    """Load `model` by id, answering 404 when missing or outside the user's departments.

    Out-of-scope objects answer 404, not 403, so their existence is not revealed.
    """
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    require_department(getattr(obj, department_attr))
    return obj

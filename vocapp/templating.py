"""Template helpers: navigation by role and local-time formatting."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_login import current_user

from vocapp.models import Role

__all__ = ["init_app", "NAVIGATION"]

#: (endpoint, label, roles that see it) in menu order.
NAVIGATION: list[tuple[str, str, frozenset[Role]]] = [
    ("main.index", "Home", frozenset(Role)),
    ("design.index", "Surveys", frozenset(Role)),
    ("campaigns.index", "Campaigns", frozenset(Role)),
    ("servicerequests.index", "Requests", frozenset(Role)),
    ("departments.index", "Departments", frozenset(Role)),
    ("admin.users", "Users", frozenset({Role.ADMIN})),
    ("audit.index", "Audit log", frozenset({Role.ADMIN, Role.DCXO})),
]


def _nav() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    here = request.blueprint
    return [
        {"endpoint": ep, "label": label, "current": ep.split(".")[0] == here}
        for ep, label, roles in NAVIGATION
        if current_user.role in roles
    ]


def localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format an aware datetime in the city's time zone."""
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime(fmt)


def audit_value(value: object) -> str:
    """Show a logged value the way a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def init_app(app: Flask) -> None:
    """Register the filters and globals templates use."""
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["audit_value"] = audit_value
    app.jinja_env.globals["nav_items"] = _nav
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

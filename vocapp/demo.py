"""Demo data: four departments and one account per role, safe to load again."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from vocapp.db import db
from vocapp.models import Department, Role
from vocapp.services import departments as dept_service
from vocapp.services import users as user_service

__all__ = ["DEMO_DEPARTMENTS", "DEMO_USERS", "DemoLogin", "load_demo"]

DEMO_DEPARTMENTS = [
    ("STR", "Streets"),
    ("SAN", "Sanitation"),
    ("LI", "Licenses & Inspections"),
    ("WTR", "Water"),
]

#: (email, name, role, department codes)
DEMO_USERS = [
    ("admin@demo.vocapp.example", "Ada Admin", Role.ADMIN, []),
    ("dcxo.streets@demo.vocapp.example", "Dana Streets", Role.DCXO, ["STR"]),
    ("dcxo.sanitation@demo.vocapp.example", "Sam Sanitation", Role.DCXO, ["SAN", "WTR"]),
    ("lead@demo.vocapp.example", "Lee Lead", Role.PROGRAM_LEAD, []),
    ("viewer@demo.vocapp.example", "Val Viewer", Role.VIEWER, ["STR", "SAN", "LI", "WTR"]),
]


@dataclass(frozen=True)
class DemoLogin:
    """A demo account's credentials, for printing."""

    email: str
    password: str
    role: Role


def _password() -> str:
    # Four random words would be friendlier; a URL-safe token is unambiguous to copy.
    return "demo-" + secrets.token_urlsafe(12)


def load_demo(logins_file: Path) -> list[DemoLogin]:
    """Create what is missing of the demo data and return every demo login.

    Passwords are generated on first load and kept in `logins_file` (instance/),
    so running again prints the same logins. An account whose password is not
    on file gets a new one.
    """
    stored: dict[str, str] = json.loads(logins_file.read_text()) if logins_file.exists() else {}
    depts = {d.code: d for d in db.session.scalars(select(Department))}
    for code, name in DEMO_DEPARTMENTS:
        if code not in depts:
            depts[code] = dept_service.create_department(None, code=code, name=name, actor_label="demo")
    logins = []
    for email, name, role, codes in DEMO_USERS:
        user = user_service.find_by_email(email)
        password = stored.get(email) or _password()
        if user is None:
            user_service.create_user(None, email=email, name=name, role=role, password=password,
                                     departments=[depts[c] for c in codes], actor_label="demo")
        elif email not in stored:
            user_service.set_password(None, user, password, actor_label="demo")
        stored[email] = password
        logins.append(DemoLogin(email, password, role))
    db.session.flush()
    logins_file.parent.mkdir(parents=True, exist_ok=True)
    logins_file.write_text(json.dumps(stored, indent=2))
    logins_file.chmod(0o600)
    return logins

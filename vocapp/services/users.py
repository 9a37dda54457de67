"""Staff accounts: creation, changes, passwords and sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from vocapp.db import db, utcnow
from vocapp.errors import ValidationError
from vocapp.models import CITYWIDE_ROLES, Department, Role, User
from vocapp.services import audit

__all__ = [
    "normalize_email", "check_password_policy", "create_user", "update_user",
    "set_password", "unlock", "authenticate", "AuthResult", "find_by_email",
]

# Checked against when the email is unknown, so both paths cost one hash (per method).
_DUMMY_HASHES: dict[str, str] = {}


def hash_password(password: str) -> str:
    """Hash with the configured method (scrypt by default)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def _dummy_hash() -> str:
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = hash_password("not-a-real-password")
    return _DUMMY_HASHES[method]


def normalize_email(email: str) -> str:
    """Return the canonical, lower-cased form of `email` or raise ValidationError."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError(str(exc), field="email") from exc


def check_password_policy(password: str, email: str = "") -> None:
    """Raise ValidationError unless `password` is long and not guessable from the account."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise ValidationError(f"Use at least {minimum} characters.", field="password")
    if len(set(password)) < 4:
        raise ValidationError("Use a password with more different characters.", field="password")
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in password.lower():
        raise ValidationError("The password must not contain the email address.", field="password")


def find_by_email(email: str) -> User | None:
    """Return the user with this email (any case), or None."""
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def _state(user: User) -> dict:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "active": user.active,
        "departments": sorted(d.code for d in user.departments),
    }


def _check_fields(user: User | None, email: str, name: str, role: Role, departments: list[Department]) -> None:
    if not name.strip():
        raise ValidationError("Enter the person's name.", field="name")
    clash = find_by_email(email)
    if clash is not None and clash is not user:
        raise ValidationError("Another account already uses this email.", field="email")
    if role in (Role.DCXO, Role.VIEWER) and not departments:
        raise ValidationError("Choose at least one department for this role.", field="departments")


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True))
    )


def create_user(actor: User | None, *, email: str, name: str, role: Role | str, password: str,
                departments: list[Department] = (), active: bool = True, actor_label: str | None = None) -> User:
    """Create an account; DCXOs and viewers need departments, others see all."""
    role = Role(role)
    email = normalize_email(email)
    departments = list(departments)
    _check_fields(None, email, name, role, departments)
    check_password_policy(password, email)
    user = User(
        email=email, name=name.strip(), role=role, active=active, password_hash=hash_password(password),
        departments=[] if role in CITYWIDE_ROLES else departments,
    )
    db.session.add(user)
    db.session.flush()
    changes = {k: [None, v] for k, v in _state(user).items()}
    audit.record(actor, "user.create", user, label=user.email, changes=changes, actor_label=actor_label)
    return user


def update_user(actor: User | None, user: User, *, email: str, name: str, role: Role | str, active: bool,
                departments: list[Department]) -> User:
    """Change an account's details, role, departments or status."""
    role = Role(role)
    email = normalize_email(email)
    departments = list(departments)
    _check_fields(user, email, name, role, departments)
    was_admin = user.role == Role.ADMIN and user.active
    if was_admin and (role != Role.ADMIN or not active) and _active_admins() <= 1:
        raise ValidationError("This is the last active admin; make another admin first.", field="role")
    before = _state(user)
    user.email, user.name, user.role, user.active = email, name.strip(), role, active
    user.departments = [] if role in CITYWIDE_ROLES else departments
    after = _state(user)
    if (before["active"] and not active) or before["role"] != after["role"]:
        user.end_sessions()
    changes = audit.diff(before, after)
    if changes:
        audit.record(actor, "user.update", user, label=user.email, changes=changes)
    db.session.flush()
    return user


def set_password(actor: User | None, user: User, password: str, *, actor_label: str | None = None) -> None:
    """Replace a password and sign the user out of every other session."""
    check_password_policy(password, user.email)
    user.password_hash = hash_password(password)
    user.end_sessions()
    user.failed_logins, user.locked_until = 0, None
    audit.record(actor, "user.password", user, label=user.email, changes={"password": audit.SECRET},
                 actor_label=actor_label)


def unlock(actor: User | None, user: User) -> None:
    """Lift a lock-out after repeated failed sign-ins."""
    user.failed_logins, user.locked_until = 0, None
    audit.record(actor, "user.unlock", user, label=user.email)


@dataclass(frozen=True)
class AuthResult:
    """The outcome of a sign-in attempt; `user` is set only when `ok`."""

    outcome: Literal["ok", "invalid", "locked", "disabled"]
    user: User | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def authenticate(email: str, password: str) -> AuthResult:
    """Check credentials, counting failures and locking the account after too many."""
    now = utcnow()
    user = find_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)
        return AuthResult("invalid")
    if user.is_locked(now):
        return AuthResult("locked")
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
            user.failed_logins = 0
            user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
            audit.record(None, "user.locked", user, label=user.email,
                         changes={"locked_until": [None, user.locked_until.isoformat()]},
                         actor_label="system")
            return AuthResult("locked")
        db.session.flush()
        return AuthResult("invalid")
    if not user.active:
        return AuthResult("disabled")
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    db.session.flush()
    return AuthResult("ok", user)

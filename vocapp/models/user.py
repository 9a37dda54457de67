"""Staff accounts and their roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vocapp.db import Base, UTCDateTime, utcnow
from vocapp.models.department import Department, user_departments


class Role(enum.StrEnum):
    """What a staff member may do; DCXOs and viewers are limited to their departments."""

    ADMIN = "admin"  # the city's CX office: everything
    DCXO = "dcxo"  # a department's CX officer: their departments
    PROGRAM_LEAD = "program_lead"  # pilots, and read-only results city-wide
    VIEWER = "viewer"  # read-only, their departments

    @property
    def label(self) -> str:
        return {
            "admin": "CX office admin",
            "dcxo": "Department CX officer",
            "program_lead": "Program lead",
            "viewer": "Viewer",
        }[self.value]


#: Roles that see every department; the others see only the ones they are assigned.
CITYWIDE_ROLES = frozenset({Role.ADMIN, Role.PROGRAM_LEAD})


def _new_nonce() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, Base):
    """A staff member who signs in with email and password."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so look-ups and uniqueness ignore case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="role", native_enum=False, create_constraint=True, length=20,
             values_callable=lambda roles: [r.value for r in roles])
    )
    active: Mapped[bool] = mapped_column(default=True)
    #: Consecutive failed sign-ins; reset by a successful one or by an admin.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Part of the session id: changing it signs the user out everywhere.
    session_nonce: Mapped[str] = mapped_column(String(32), default=_new_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    departments: Mapped[list[Department]] = relationship(
        secondary=user_departments, back_populates="members", order_by=Department.name
    )

    # Flask-Login ---------------------------------------------------------------
    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def end_sessions(self) -> None:
        """Invalidate every session of this user (after a password change or disable)."""
        self.session_nonce = _new_nonce()

    # Scope ---------------------------------------------------------------------
    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def sees_all_departments(self) -> bool:
        return self.role in CITYWIDE_ROLES

    @property
    def department_ids(self) -> set[int]:
        return {d.id for d in self.departments}

    def can_see_department(self, department_id: int | None) -> bool:
        """True if objects of this department are visible to the user."""
        return self.sees_all_departments or department_id in self.department_ids

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"

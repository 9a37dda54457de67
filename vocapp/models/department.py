"""Departments: the unit every staff-owned object belongs to."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vocapp.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from vocapp.models.user import User

#: Which departments a DCXO or viewer may see and act for.
user_departments = Table(
    "user_departments",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)


class Department(Base):
    """A city department, e.g. Streets; owns surveys, campaigns and follow-ups."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short, stable code used in imports and URLs of other systems (e.g. "STR").
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    #: Inactive departments keep their history but get no new work.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[User]] = relationship(
        secondary=user_departments, back_populates="departments", order_by="User.name"
    )

    @property
    def dcxos(self) -> list[User]:
        """The active DCXOs of this department."""
        return [u for u in self.members if u.role == "dcxo" and u.active]

    def __repr__(self) -> str:
        return f"<Department {self.code}>"

"""The audit log: who changed what, when, from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vocapp.db import Base, UTCDateTime, utcnow
from vocapp.models.department import Department
from vocapp.models.user import User


class AuditEntry(Base):
    """One change made by a staff member, the CLI or the system."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_object", "object_type", "object_id"),
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_department_id", "department_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Who acted, kept as text so the entry survives the actor's account ("cli", "system" otherwise).
    actor_label: Mapped[str] = mapped_column(String(254))
    #: Dotted verb, e.g. "user.create", "department.update", "user.locked".
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    #: Human name of the object at the time of the change.
    object_label: Mapped[str] = mapped_column(String(254))
    #: The department the object belongs to; scopes who may read the entry.
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))
    #: {field: [old, new]}; secrets appear only as "(changed)".
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    actor: Mapped[User | None] = relationship()
    department: Mapped[Department | None] = relationship()

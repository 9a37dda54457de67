"""Persistence models; importing this package registers every table on Base.metadata."""

from vocapp.models.audit import AuditEntry
from vocapp.models.department import Department, user_departments
from vocapp.models.heartbeat import Heartbeat
from vocapp.models.user import CITYWIDE_ROLES, Role, User

__all__ = ["AuditEntry", "Department", "Heartbeat", "Role", "CITYWIDE_ROLES", "User", "user_departments"]

"""Persistence models; importing this package registers every table on Base.metadata."""

from vocapp.models.audit import AuditEntry
from vocapp.models.department import Department, user_departments
from vocapp.models.heartbeat import Heartbeat
from vocapp.models.survey import (
    Answer,
    Invitation,
    InvitationState,
    OptOut,
    Response,
    ResponseSource,
    Survey,
    SurveyStatus,
    SurveyVersion,
    VersionStatus,
)
from vocapp.models.user import CITYWIDE_ROLES, Role, User

__all__ = [
    "Answer", "AuditEntry", "CITYWIDE_ROLES", "Department", "Heartbeat", "Invitation", "InvitationState",
    "OptOut", "Response", "ResponseSource", "Role", "Survey", "SurveyStatus", "SurveyVersion", "User",
    "VersionStatus", "user_departments",
]

"""Persistence models; importing this package registers every table on Base.metadata."""

from vocapp.models.audit import AuditEntry
from vocapp.models.campaign import Campaign, CampaignStatus
from vocapp.models.department import Department, user_departments
from vocapp.models.heartbeat import Heartbeat
from vocapp.models.request import (
    Channel,
    ImportRun,
    PollCursor,
    RejectedRow,
    RequestStatus,
    ServiceRequest,
    WebhookEvent,
)
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
    "Answer", "AuditEntry", "Campaign", "CampaignStatus", "Channel", "ImportRun", "PollCursor", "RejectedRow",
    "RequestStatus", "ServiceRequest", "WebhookEvent", "CITYWIDE_ROLES", "Department", "Heartbeat", "Invitation", "InvitationState",
    "OptOut", "Response", "ResponseSource", "Role", "Survey", "SurveyStatus", "SurveyVersion", "User",
    "VersionStatus", "user_departments",
]

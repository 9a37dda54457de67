"""Campaigns: create and change them, switch them on, pause, resume and end them (audited)."""

from __future__ import annotations

import secrets
from datetime import time
from typing import Any

from vocapp.db import db, utcnow
from vocapp.errors import ValidationError
from vocapp.models import Campaign, CampaignStatus, Channel, Department, Survey, User, VersionStatus
from vocapp.services import audit

__all__ = ["SETTINGS", "CHANNEL_ORDERS", "create_campaign", "update_campaign", "set_status", "settings_of"]

#: Campaign settings a DCXO edits, with their allowed range where numeric.
SETTINGS: dict[str, tuple[int, int] | None] = {
    "name": None, "survey_version_id": None, "departments": None, "service_codes": None, "channels": None,
    "wards": None, "excluded_service_codes": None, "exclude_reopened": None, "exclude_duplicates": None,
    "sample_rate": None, "delay_minutes": (0, 60 * 24 * 30), "quiet_start": None, "quiet_end": None,
    "channel_order": None, "reminders": (0, 5), "reminder_after_hours": (1, 24 * 30), "expiry_days": (1, 90),
    "contact_cap_days": (0, 365), "max_age_days": (1, 365), "send_rate_per_minute": (1, 100_000),
}
CHANNEL_ORDERS = {"email_first": "Email, else SMS", "sms_first": "SMS, else email", "email_only": "Email only",
                  "sms_only": "SMS only"}
#: Which status changes are allowed.
_MOVES = {
    CampaignStatus.DRAFT: {CampaignStatus.ACTIVE, CampaignStatus.ENDED},
    CampaignStatus.ACTIVE: {CampaignStatus.PAUSED, CampaignStatus.ENDED},
    CampaignStatus.PAUSED: {CampaignStatus.ACTIVE, CampaignStatus.ENDED},
    CampaignStatus.ENDED: set(),
}


def settings_of(campaign: Campaign) -> dict[str, Any]:
    """The campaign's editable settings as plain values (for forms and audit diffs)."""
    values = {name: getattr(campaign, name) for name in SETTINGS}
    for name in ("quiet_start", "quiet_end"):
        values[name] = values[name].strftime("%H:%M") if values[name] else None
    return values


def _clean(values: dict[str, Any], department: Department, survey: Survey, scope: set[int] | None) -> dict[str, Any]:
    """Validated settings; ValidationError names the field."""
    clean = dict(values)
    clean["name"] = " ".join(str(values.get("name") or "").split())
    if not clean["name"]:
        raise ValidationError("Give the campaign a name.", field="name")
    published = {v.id for v in survey.versions if v.status == VersionStatus.PUBLISHED}
    if values.get("survey_version_id") not in published:
        raise ValidationError("Choose a published version of the survey.", field="survey_version_id")
    departments = [int(d) for d in values.get("departments") or []]
    if scope is not None and not set(departments) <= scope:
        raise ValidationError("You can only target your own departments.", field="departments")
    clean["departments"] = departments or [department.id]
    channels = list(values.get("channels") or [])
    unknown = set(channels) - {c.value for c in Channel}
    if unknown:
        raise ValidationError(f"Unknown channel(s): {', '.join(sorted(unknown))}.", field="channels")
    clean["channels"] = channels
    for name in ("service_codes", "wards", "excluded_service_codes"):
        clean[name] = sorted({str(v).strip() for v in values.get(name) or [] if str(v).strip()})
    rate = float(values.get("sample_rate", 1))
    if not 0 < rate <= 1:
        raise ValidationError("The sample rate is a share between 0 and 1 (e.g. 0.25 for a quarter).",
                              field="sample_rate")
    clean["sample_rate"] = rate
    for name, bounds in SETTINGS.items():
        if bounds is not None:
            value = int(values.get(name, 0))
            if not bounds[0] <= value <= bounds[1]:
                raise ValidationError(f"Between {bounds[0]} and {bounds[1]}.", field=name)
            clean[name] = value
    if values.get("channel_order") not in CHANNEL_ORDERS:
        raise ValidationError("Choose how residents are contacted.", field="channel_order")
    for name in ("quiet_start", "quiet_end"):
        clean[name] = _time(values.get(name), name)
    if (clean["quiet_start"] is None) != (clean["quiet_end"] is None):
        raise ValidationError("Give both ends of the quiet hours, or neither.", field="quiet_end")
    clean["exclude_reopened"] = bool(values.get("exclude_reopened"))
    clean["exclude_duplicates"] = bool(values.get("exclude_duplicates"))
    return clean


def _time(value: Any, field: str) -> time | None:
    if value in (None, ""):
        return None
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ValidationError("A time of day such as 20:00.", field=field) from None


def create_campaign(actor: User | None, *, department: Department, survey: Survey, values: dict[str, Any],
                    scope: set[int] | None = None, actor_label: str | None = None) -> Campaign:
    """A new draft campaign of `department` for `survey`; `scope` limits the departments it may target."""
    if survey.department_id != department.id:
        raise ValidationError("The survey belongs to another department.", field="survey_version_id")
    clean = _clean(values, department, survey, scope)
    campaign = Campaign(department=department, survey=survey, sample_seed=secrets.token_hex(8), created_by=actor,
                        **clean)
    db.session.add(campaign)
    db.session.flush()
    audit.record(actor, "campaign.create", campaign, label=campaign.name, department_id=department.id,
                 changes={k: [None, v] for k, v in settings_of(campaign).items()}, actor_label=actor_label)
    return campaign


def update_campaign(actor: User | None, campaign: Campaign, values: dict[str, Any],
                    scope: set[int] | None = None) -> Campaign:
    """Change a campaign's settings (not of an ended one); invitations already planned keep theirs."""
    if campaign.status == CampaignStatus.ENDED:
        raise ValidationError("This campaign has ended; clone it into a new one instead.")
    before = settings_of(campaign)
    for name, value in _clean(values, campaign.department, campaign.survey, scope).items():
        setattr(campaign, name, value)
    changes = audit.diff(before, settings_of(campaign))
    if changes:
        audit.record(actor, "campaign.update", campaign, label=campaign.name,
                     department_id=campaign.department_id, changes=changes)
    return campaign


def set_status(actor: User | None, campaign: Campaign, status: CampaignStatus) -> Campaign:
    """Activate, pause, resume or end a campaign."""
    if status not in _MOVES[campaign.status]:
        raise ValidationError(f"A {campaign.status.value} campaign cannot become {status.value}.")
    before = campaign.status.value
    campaign.status = status
    if status == CampaignStatus.ACTIVE and campaign.activated_at is None:
        campaign.activated_at = utcnow()
    audit.record(actor, f"campaign.{status.value}", campaign, label=campaign.name,
                 department_id=campaign.department_id, changes={"status": [before, status.value]})
    return campaign

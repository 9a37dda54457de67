"""Campaigns: which closed requests get which survey, when, how and how often."""

from __future__ import annotations

import enum
from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vocapp.db import Base, UTCDateTime, utcnow
from vocapp.models.department import Department
from vocapp.models.survey import Survey, SurveyVersion, _enum
from vocapp.models.user import User


class CampaignStatus(enum.StrEnum):
    """Only active campaigns plan and send; paused ones keep their queue."""

    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class Campaign(Base):
    """A department's rules for inviting residents after their requests close."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="RESTRICT"))
    #: The published version invitations point at.
    survey_version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id", ondelete="RESTRICT"))
    status: Mapped[CampaignStatus] = mapped_column(_enum(CampaignStatus, "campaign_status"),
                                                  default=CampaignStatus.DRAFT)
    #: Filters; an empty list means any. Department ids, service codes, channels, wards.
    departments: Mapped[list[int]] = mapped_column(JSON, default=list)
    service_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    wards: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Service codes never surveyed (sensitive matters, e.g. abuse reports).
    excluded_service_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    exclude_reopened: Mapped[bool] = mapped_column(default=True)
    exclude_duplicates: Mapped[bool] = mapped_column(default=True)
    #: Share of eligible requests invited, 0..1; the same requests are picked on every run.
    sample_rate: Mapped[float] = mapped_column(Float, default=1.0)
    #: Mixed into the sampling hash, so two campaigns sample independently.
    sample_seed: Mapped[str] = mapped_column(String(32))
    delay_minutes: Mapped[int] = mapped_column(Integer, default=60)
    #: No sending between these local times (the city's TIMEZONE); None = no quiet hours.
    quiet_start: Mapped[time | None] = mapped_column(Time)
    quiet_end: Mapped[time | None] = mapped_column(Time)
    #: "email_first", "sms_first", "email_only" or "sms_only"; a resident's stated preference wins.
    channel_order: Mapped[str] = mapped_column(String(20), default="email_first")
    reminders: Mapped[int] = mapped_column(Integer, default=1)
    reminder_after_hours: Mapped[int] = mapped_column(Integer, default=72)
    expiry_days: Mapped[int] = mapped_column(Integer, default=14)
    #: At most one invitation per resident (any campaign) within this many days.
    contact_cap_days: Mapped[int] = mapped_column(Integer, default=30)
    #: Requests closed longer ago than this when first planned are not invited (no backlog blasts).
    max_age_days: Mapped[int] = mapped_column(Integer, default=7)
    #: Messages per minute this campaign may send.
    send_rate_per_minute: Mapped[int] = mapped_column(Integer, default=600)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Counts of the last planning pass by rule (what each rule kept or dropped).
    last_plan: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))

    department: Mapped[Department] = relationship()
    survey: Mapped[Survey] = relationship()
    version: Mapped[SurveyVersion] = relationship()
    created_by: Mapped[User | None] = relationship()

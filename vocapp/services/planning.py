"""Planning: which closed requests a campaign invites, when, on which channel, in which language.

Every rule is counted, so a dry run shows how many requests each one keeps or
drops, and the same counts feed the campaign's funnel. Planning is repeatable:
sampling is a keyed hash of the request (the same requests are picked on every
run) and a campaign invites for a request at most once (a unique constraint).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Connection, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from surveys.languages import is_supported, normalize
from vocapp.db import db, utcnow
from vocapp.models import Campaign, CampaignStatus, Invitation, InvitationState, OptOut, RequestStatus, ServiceRequest
from vocapp.services.surveys import definition
from vocapp.tokens import derive_token, hash_token, new_salt

__all__ = ["RULES", "PlanReport", "plan", "plan_active", "sampled", "next_allowed", "choose_channel", "token_key"]

#: The rules in the order they apply, with what a dry run calls them.
RULES = {
    "closed": "Closed in the campaign's window",
    "filters": "Outside the campaign's departments, services, channels or wards",
    "cancelled": "Cancelled or referred, not closed",
    "reopened": "Reopened after closing",
    "duplicate": "Duplicate of another request",
    "sensitive": "Sensitive service (never surveyed)",
    "already_planned": "Already invited by this campaign",
    "no_contact": "No usable email or phone for the campaign's channels",
    "opted_out": "Resident opted out of surveys",
    "not_sampled": "Not in the sample",
    "contact_cap": "Resident invited recently (contact cap)",
    "invited": "Invited",
}


@dataclass
class PlanReport:
    """What a planning pass (or dry run) did: counts per rule, and the invitations it made."""

    counts: Counter = field(default_factory=Counter)
    created: int = 0
    dry_run: bool = False

    def rows(self) -> list[tuple[str, str, int]]:
        """(rule, label, count) in rule order, for pages and the CLI."""
        return [(rule, label, self.counts.get(rule, 0)) for rule, label in RULES.items()]

    def as_dict(self) -> dict:
        return {"counts": {rule: self.counts.get(rule, 0) for rule in RULES}, "created": self.created}


def sampled(seed: str, source: str, source_id: str, rate: float) -> bool:
    """Whether the request falls in the sample: the same answer on every run for the same seed.

    >>> [sampled("s", "la", str(i), 0.5) for i in range(6)] == [sampled("s", "la", str(i), 0.5) for i in range(6)]
    True
    >>> round(sum(sampled("s", "la", str(i), 0.3) for i in range(10_000)) / 10_000, 2)
    0.3
    """
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{seed}\x1f{source}\x1f{source_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def _quiet(local: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # the window spans midnight, e.g. 20:00-08:00


def next_allowed(at: datetime, zone: ZoneInfo, start: time | None, end: time | None) -> datetime:
    """`at`, or the end of the quiet hours (local time) it falls in.

    >>> from datetime import UTC
    >>> la = ZoneInfo("America/Los_Angeles")
    >>> next_allowed(datetime(2026, 11, 21, 5, 30, tzinfo=UTC), la, time(20), time(8)).isoformat()  # 21:30 local
    '2026-11-21T16:00:00+00:00'
    >>> next_allowed(datetime(2026, 11, 21, 18, 0, tzinfo=UTC), la, time(20), time(8)).isoformat()  # 10:00 local
    '2026-11-21T18:00:00+00:00'
    """
    if start is None or end is None or start == end:
        return at
    local = at.astimezone(zone)
    if not _quiet(local.time(), start, end):
        return at
    resume = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if resume <= local:
        resume += timedelta(days=1)
    # Rebuild through the zone so a daylight-saving change in between lands on the right offset.
    return datetime.combine(resume.date(), end, tzinfo=zone).astimezone(at.tzinfo)


def choose_channel(order: str, email: str | None, phone: str | None, preference: str | None) -> str | None:
    """"email", "sms" or None: the resident's stated preference first, then the campaign's order.

    >>> choose_channel("email_first", "a@b.org", "+12135550142", "sms"), choose_channel("sms_only", "a@b.org", None, None)
    ('sms', None)
    """
    allowed = {"email_first": ("email", "sms"), "sms_first": ("sms", "email"),
               "email_only": ("email",), "sms_only": ("sms",)}.get(order, ("email", "sms"))
    have = {"email": bool(email), "sms": bool(phone)}
    if preference in allowed and have[preference]:
        return preference
    return next((channel for channel in allowed if have[channel]), None)


def token_key() -> bytes:
    """The key campaign invitation tokens are derived with (from SECRET_KEY)."""
    return hmac.new(str(current_app.config["SECRET_KEY"]).encode(), b"vocapp.invitation-token",
                    hashlib.sha256).digest()


_R = ServiceRequest.__table__
_I = Invitation.__table__
_COLUMNS = (_R.c.id, _R.c.source, _R.c.source_id, _R.c.status, _R.c.closed_at, _R.c.department_id,
            _R.c.service_code, _R.c.channel, _R.c.ward, _R.c.reopened, _R.c.duplicate_of, _R.c.contact_email,
            _R.c.contact_phone, _R.c.contact_hash, _R.c.contact_preference, _R.c.language)


def plan(conn: Connection, campaign: Campaign, *, now: datetime | None = None, dry_run: bool = False,
         survey_languages: tuple[str, ...] = ("en",)) -> PlanReport:
    """Apply the campaign's rules to requests closed in its window; add planned invitations unless `dry_run`.

    The window starts `max_age_days` before now, so switching a campaign on does
    not invite a backlog of old requests. The caller commits.
    """
    now = now or utcnow()
    report = PlanReport(dry_run=dry_run)
    since = now - timedelta(days=campaign.max_age_days)
    zone = ZoneInfo(str(current_app.config["TIMEZONE"]))
    departments = set(campaign.departments or [campaign.department_id])
    services, channels, wards = set(campaign.service_codes), set(campaign.channels), set(campaign.wards)
    sensitive = set(campaign.excluded_service_codes)
    planned = set(conn.scalars(select(_I.c.service_request_id).where(_I.c.campaign_id == campaign.id)))
    opted_out = set(conn.scalars(select(OptOut.__table__.c.contact_hash).where(
        OptOut.__table__.c.contact_hash.is_not(None))))
    cap_since = now - timedelta(days=campaign.contact_cap_days)
    recent = set(conn.scalars(select(_I.c.contact_hash).where(
        _I.c.contact_hash.is_not(None), or_(_I.c.created_at >= cap_since, _I.c.send_after >= cap_since))))
    key, rows = token_key(), []
    delay = timedelta(minutes=campaign.delay_minutes)
    query = select(*_COLUMNS).where(_R.c.closed_at >= since, _R.c.closed_at <= now).order_by(_R.c.closed_at)
    for r in conn.execute(query):
        report.counts["closed"] += 1
        if (r.department_id not in departments or (services and r.service_code not in services)
                or (channels and r.channel not in channels) or (wards and r.ward not in wards)):
            rule = "filters"
        elif r.status != RequestStatus.CLOSED:  # StrEnum: compares with plain strings too
            rule = "cancelled"
        elif campaign.exclude_reopened and r.reopened:
            rule = "reopened"
        elif campaign.exclude_duplicates and r.duplicate_of:
            rule = "duplicate"
        elif r.service_code in sensitive:
            rule = "sensitive"
        elif r.id in planned:
            rule = "already_planned"
        elif (channel := choose_channel(campaign.channel_order, r.contact_email, r.contact_phone,
                                        r.contact_preference)) is None:
            rule = "no_contact"
        elif r.contact_hash in opted_out:
            rule = "opted_out"
        elif not sampled(campaign.sample_seed, r.source, r.source_id, campaign.sample_rate):
            rule = "not_sampled"
        elif r.contact_hash in recent:
            rule = "contact_cap"
        else:
            rule = "invited"
            recent.add(r.contact_hash)  # one invitation per resident within this pass too
            if not dry_run:
                rows.append(_invitation(campaign, r, channel, now, delay, zone, key, survey_languages))
        report.counts[rule] += 1
    if rows:
        # Two planners at once (several scheduler processes) may pick the same request: the first one wins.
        dialect_insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(dialect_insert(_I).on_conflict_do_nothing(index_elements=["campaign_id", "service_request_id"]),
                     rows)
    report.created = len(rows)
    return report


def _invitation(campaign: Campaign, r, channel: str, now: datetime, delay: timedelta, zone: ZoneInfo,
                key: bytes, survey_languages: tuple[str, ...]) -> dict:
    send_after = next_allowed(max(r.closed_at + delay, now), zone, campaign.quiet_start, campaign.quiet_end)
    language = normalize(r.language) if r.language else None
    if not language or not is_supported(language):
        language = survey_languages[0] if survey_languages else "en"
    salt = new_salt()
    return {
        "survey_id": campaign.survey_id, "survey_version_id": campaign.survey_version_id,
        "department_id": campaign.department_id, "campaign_id": campaign.id, "service_request_id": r.id,
        "token_hash": hash_token(derive_token(salt, key)), "token_salt": salt, "language": language,
        "channel": channel, "state": InvitationState.PLANNED.value, "is_test": False, "created_at": now,
        "contact_hash": r.contact_hash, "send_after": send_after,
        "expires_at": send_after + timedelta(days=campaign.expiry_days), "reminders_sent": 0, "attempts": 0,
    }


def plan_active(conn: Connection, now: datetime | None = None) -> dict[int, PlanReport]:
    """Plan every active campaign once; each report is also kept on its campaign (last_plan)."""
    reports = {}
    for campaign in db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE)):
        report = plan(conn, campaign, now=now, survey_languages=definition(campaign.version).languages)
        campaign.last_plan = {**report.as_dict(), "at": (now or utcnow()).isoformat()}
        reports[campaign.id] = report
    return reports

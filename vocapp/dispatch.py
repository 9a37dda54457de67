"""Sending invitations and reminders: claim due rows through the database, send, record the outcome.

Several dispatchers (scheduler processes, `vocapp dispatch` runs) may work at
once. Each claims a batch of due invitations in one statement that stamps them
with its name and a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two
dispatchers never claim the same row; on SQLite the statement holds the write
lock), commits, and then sends them one by one, recording each outcome in its
own commit, guarded by its claim.

The guarantee:

* **Nothing is lost.** A row claimed by a dispatcher that dies is claimable
  again once its lease (DISPATCH_LEASE_SECONDS) lapses; transient failures are
  retried with exponential back-off up to DISPATCH_MAX_ATTEMPTS.
* **Nothing is sent twice** by two dispatchers: a claimed row is invisible to
  the others until its lease lapses or its outcome is recorded. A crash between
  claim and send leaves the row unsent and claimable again. The one window for
  a duplicate is a crash after the mail server accepted a message and before
  its outcome was committed (milliseconds); the message then goes out again
  when the lease lapses. Keep the lease longer than a batch takes to send.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import Connection, and_, func, or_, select, update

from vocapp.db import db, utcnow
from vocapp.delivery.base import DeliveryError, Outcome, email_backend, sms_backend
from vocapp.models import Campaign, CampaignStatus, Invitation, InvitationState, OptOut, ServiceRequest
from vocapp.services.messages import Letter, compose_email, compose_sms
from vocapp.services.planning import next_allowed, token_key
from vocapp.tokens import derive_token

__all__ = ["KINDS", "DispatchReport", "dispatch_once", "claim", "expire", "purge_contacts", "worker_name"]

log = logging.getLogger(__name__)

_I, _C, _R, _O = Invitation.__table__, Campaign.__table__, ServiceRequest.__table__, OptOut.__table__
_OPEN_STATES = (InvitationState.PLANNED.value, InvitationState.SENT.value, InvitationState.REMINDED.value)


def worker_name() -> str:
    """This process's name in claims: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DispatchReport:
    """What one dispatch pass did."""

    counts: Counter = field(default_factory=Counter)

    def __str__(self) -> str:
        order = ("claimed", "sent", "reminded", "retry", "failed", "opted_out", "deferred")
        return ", ".join(f"{self.counts.get(k, 0)} {k}" for k in order)


#: What a pass sends: first messages (and their retries), reminders, or both.
KINDS = ("first", "reminder", "all")


def _due(now: datetime, kind: str = "all"):
    """Rows with a message of `kind` due now (a first send, a retry or a reminder) of an active campaign."""
    first = and_(_I.c.state == InvitationState.PLANNED.value, _I.c.send_after <= now,
                 or_(_I.c.next_attempt_at.is_(None), _I.c.next_attempt_at <= now))
    reminder = and_(_I.c.state.in_((InvitationState.SENT.value, InvitationState.REMINDED.value)),
                    _I.c.next_attempt_at <= now)
    return and_(
        {"first": first, "reminder": reminder}.get(kind, or_(first, reminder)),
        or_(_I.c.expires_at.is_(None), _I.c.expires_at > now),
        or_(_I.c.claimed_until.is_(None), _I.c.claimed_until < now),
        _I.c.campaign_id.in_(select(_C.c.id).where(_C.c.status == CampaignStatus.ACTIVE.value)),
    )


def claim(conn: Connection, worker: str, now: datetime, limit: int, lease: timedelta,
          campaign_id: int | None = None, kind: str = "all") -> list[int]:
    """Claim up to `limit` due invitations for `worker` until now + `lease`; their ids. The caller commits."""
    due = _due(now, kind) if campaign_id is None else and_(_due(now, kind), _I.c.campaign_id == campaign_id)
    candidates = (select(_I.c.id).where(due).order_by(func.coalesce(_I.c.next_attempt_at, _I.c.send_after))
                  .limit(limit).with_for_update(skip_locked=True))
    claimed = conn.execute(update(_I).where(_I.c.id.in_(candidates.scalar_subquery()))
                           .values(claimed_by=worker, claimed_until=now + lease).returning(_I.c.id))
    return sorted(claimed.scalars())


def _budget(conn: Connection, campaign: Campaign, now: datetime) -> int:
    """Messages the campaign may still send this minute (its send-rate limit)."""
    minute_ago = now - timedelta(minutes=1)
    recent = conn.scalar(select(func.count()).select_from(_I).where(
        _I.c.campaign_id == campaign.id,
        or_(_I.c.last_reminded_at >= minute_ago, and_(_I.c.sent_at >= minute_ago, _I.c.reminders_sent == 0))))
    return max(0, campaign.send_rate_per_minute - (recent or 0))


def _letter(conn: Connection, invitation_id: int) -> tuple[Letter, object] | None:
    row = conn.execute(
        select(_I.c.id, _I.c.token_salt, _I.c.language, _I.c.channel, _I.c.state, _I.c.reminders_sent,
               _I.c.expires_at, _I.c.contact_hash, _I.c.attempts, _I.c.campaign_id, _R.c.service_name,
               _R.c.closed_at, _R.c.contact_email, _R.c.contact_phone)
        .join(_R, _R.c.id == _I.c.service_request_id, isouter=True).where(_I.c.id == invitation_id)
    ).first()
    if row is None or row.token_salt is None:
        return None
    reminder = 0 if row.state == InvitationState.PLANNED else row.reminders_sent + 1
    letter = Letter(invitation_id=row.id, token=derive_token(row.token_salt, token_key()), language=row.language,
                    reminder=reminder, expires_at=row.expires_at, service_name=row.service_name,
                    closed_at=row.closed_at, email=row.contact_email, phone=row.contact_phone)
    return letter, row


def _record(conn: Connection, invitation_id: int, worker: str, values: dict) -> None:
    """Write an outcome if the row is still ours and still open (a resident may have answered meanwhile)."""
    conn.execute(update(_I).where(_I.c.id == invitation_id, _I.c.claimed_by == worker,
                                  _I.c.state.in_(_OPEN_STATES))
                 .values(claimed_by=None, claimed_until=None, **values))


def _after(outcome: Outcome, row, campaign: Campaign, now: datetime, config) -> tuple[str, dict]:
    """The report key and the column values an outcome leads to."""
    if outcome.ok:
        first = row.state == InvitationState.PLANNED  # StrEnum: equal to the plain string a Core row may hold
        reminders_sent = row.reminders_sent if first else row.reminders_sent + 1
        more = reminders_sent < campaign.reminders
        values = {"attempts": 0, "last_error": None,
                  "next_attempt_at": now + timedelta(hours=campaign.reminder_after_hours) if more else None}
        if first:
            return "sent", {**values, "state": InvitationState.SENT.value, "sent_at": now}
        return "reminded", {**values, "state": InvitationState.REMINDED.value, "reminders_sent": reminders_sent,
                            "last_reminded_at": now}
    attempts = row.attempts + 1
    if outcome.permanent or attempts >= config["DISPATCH_MAX_ATTEMPTS"]:
        reason = outcome.detail if outcome.permanent else f"gave up after {attempts} attempts: {outcome.detail}"
        # A failed reminder does not undo the first message: the resident can still answer.
        if row.state != InvitationState.PLANNED:
            return "failed", {"attempts": attempts, "last_error": reason[:500], "next_attempt_at": None}
        return "failed", {"state": InvitationState.FAILED.value, "attempts": attempts, "last_error": reason[:500]}
    delay = timedelta(seconds=config["DISPATCH_RETRY_SECONDS"] * 2 ** (attempts - 1))
    return "retry", {"attempts": attempts, "last_error": outcome.detail[:500], "next_attempt_at": now + delay}


def dispatch_once(app: Flask, *, worker: str | None = None, now: datetime | None = None,
                  kind: str = "all") -> DispatchReport:
    """One pass over every active campaign: claim its due invitations and send them. Commits as it goes."""
    worker = worker or worker_name()
    report = DispatchReport()
    config = app.config
    outbox = Path(app.instance_path) / "outbox"
    zone = ZoneInfo(str(config["TIMEZONE"]))
    lease = timedelta(seconds=config["DISPATCH_LEASE_SECONDS"])
    campaigns = list(db.session.scalars(select(Campaign).where(Campaign.status == CampaignStatus.ACTIVE)))
    # Backends connect on their first message, so a pass with nothing due never dials the mail server.
    mailer, texter = email_backend(config, outbox), sms_backend(config, outbox)
    try:
        for campaign in campaigns:
            stamp = now or utcnow()
            conn = db.session.connection()
            limit = min(config["DISPATCH_BATCH"], _budget(conn, campaign, stamp))
            ids = claim(conn, worker, stamp, limit, lease, campaign.id, kind) if limit else []
            db.session.commit()
            report.counts["claimed"] += len(ids)
            for invitation_id in ids:
                _send_one(invitation_id, campaign, worker, now, zone, mailer, texter, report)
    except DeliveryError:
        # A configuration problem (refused login, no TLS...): give the rows back untouched and say so.
        db.session.rollback()
        db.session.execute(update(_I).where(_I.c.claimed_by == worker).values(claimed_by=None, claimed_until=None))
        db.session.commit()
        raise
    finally:
        mailer.close()
        texter.close()
    return report


def _send_one(invitation_id: int, campaign: Campaign, worker: str, now: datetime | None, zone: ZoneInfo,
              mailer, texter, report: DispatchReport) -> None:
    stamp = now or utcnow()
    conn = db.session.connection()
    found = _letter(conn, invitation_id)
    if found is None:
        _record(conn, invitation_id, worker, {"state": InvitationState.FAILED.value,
                                              "last_error": "not a campaign invitation"})
        report.counts["failed"] += 1
        db.session.commit()
        return
    letter, row = found
    # Checked again at sending time: the resident may have opted out since planning.
    if row.contact_hash and conn.scalar(select(_O.c.id).where(_O.c.contact_hash == row.contact_hash)
                                        .limit(1)) is not None:
        _record(conn, invitation_id, worker, {"state": InvitationState.OPTED_OUT.value, "next_attempt_at": None})
        report.counts["opted_out"] += 1
    elif (allowed := next_allowed(stamp, zone, campaign.quiet_start, campaign.quiet_end)) > stamp:
        _record(conn, invitation_id, worker, {"next_attempt_at": allowed})  # quiet hours: later, not lost
        report.counts["deferred"] += 1
    else:
        address = letter.email if row.channel == "email" else letter.phone
        if not address:
            outcome = Outcome.permanent_failure(f"no {row.channel} contact (purged or missing)")
        elif row.channel == "email":
            outcome = mailer.send(compose_email(letter))
        else:
            outcome = texter.send(compose_sms(letter))
        key, values = _after(outcome, row, campaign, stamp, current_app.config)
        _record(conn, invitation_id, worker, values)
        report.counts[key] += 1
        if not outcome.ok:
            log.info("invitation %s: %s (%s)", invitation_id, key, outcome.detail)
    db.session.commit()


def expire(conn: Connection, now: datetime | None = None) -> int:
    """Mark open invitations past their expiry as expired; how many."""
    now = now or utcnow()
    result = conn.execute(update(_I).where(_I.c.state.in_(_OPEN_STATES), _I.c.expires_at <= now)
                          .values(state=InvitationState.EXPIRED.value, next_attempt_at=None))
    return result.rowcount


def purge_contacts(conn: Connection, retention: timedelta, now: datetime | None = None) -> int:
    """Forget emails and phones of requests closed longer ago than `retention` (hashes stay); how many."""
    cutoff = (now or utcnow()) - retention
    result = conn.execute(update(_R).where(_R.c.closed_at < cutoff,
                                           or_(_R.c.contact_email.is_not(None), _R.c.contact_phone.is_not(None)))
                          .values(contact_email=None, contact_phone=None))
    return result.rowcount

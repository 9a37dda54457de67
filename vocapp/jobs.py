"""Background jobs and the APScheduler process that runs them."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import delete

from vocapp import dispatch
from vocapp.connectors.open311 import poll_configured
from vocapp.db import db, utcnow
from vocapp.models import Heartbeat
from vocapp.services import sentiment as sentiment_service
from vocapp.services.planning import plan_active
from vocapp.writelock import write_turn

__all__ = ["Job", "JOBS", "build_scheduler", "run_job", "heartbeat"]

log = logging.getLogger(__name__)

PROCESS_NAME = f"scheduler@{socket.gethostname()}:{os.getpid()}"


#: Heartbeats of processes silent for this long are deleted (each restart adds a row).
FORGET_AFTER = timedelta(days=1)


def heartbeat(app: Flask) -> None:
    """Record that this scheduler process is alive (read by /healthz); forget long-dead ones."""
    now = utcnow()
    beat = db.session.get(Heartbeat, PROCESS_NAME)
    if beat is None:
        db.session.add(Heartbeat(name=PROCESS_NAME, kind="scheduler", started_at=now, last_seen=now))
    else:
        beat.last_seen = now
    db.session.execute(delete(Heartbeat).where(Heartbeat.last_seen < now - FORGET_AFTER))


@dataclass(frozen=True)
class Job:
    """A job the scheduler runs every `seconds`."""

    id: str
    func: Callable[[Flask], None]
    seconds: Callable[[Flask], int]


def poll(app: Flask) -> None:
    """Poll every configured Open311 endpoint (each commits per window)."""
    poll_configured(app)


def plan(app: Flask) -> None:
    """Plan invitations for every active campaign."""
    for campaign_id, report in plan_active(db.session.connection()).items():
        if report.created:
            log.info("campaign %s: %s invitation(s) planned", campaign_id, report.created)


def send(app: Flask) -> None:
    """Send the first messages (and their retries) that are due."""
    log.info("send: %s", dispatch.dispatch_once(app, kind="first"))


def remind(app: Flask) -> None:
    """Send the reminders that are due."""
    log.info("remind: %s", dispatch.dispatch_once(app, kind="reminder"))


def expire(app: Flask) -> None:
    """Close invitations past their expiry."""
    dispatch.expire(db.session.connection())


def purge(app: Flask) -> None:
    """Forget residents' contact details past the retention period."""
    dispatch.purge_contacts(db.session.connection(), timedelta(days=app.config["CONTACT_RETENTION_DAYS"]))


def sentiment(app: Flask) -> int:
    """Score free-text answers not analysed by the current analyser, a committed batch at a time, until none
    are left (so a new answer is scored within one interval, and a new analyser version re-scores them all).

    Scoring happens before the batch takes SQLite's write turn, so residents' submissions wait only for
    the UPDATE. Returns how many answers were scored.
    """
    done = 0
    while True:
        rows = sentiment_service.pending(sentiment_service.BATCH)
        if not rows:
            break
        values = sentiment_service.analyse(rows)
        with write_turn(db.session.connection()):
            sentiment_service.store(values)
            db.session.commit()
        done += len(rows)
        if len(rows) < sentiment_service.BATCH:
            break
    if done:
        log.info("sentiment: %s answer(s) scored", done)
    return done


#: Every periodic job. Several scheduler processes may run them all at once: polls
#: and plans are idempotent upserts, sending claims rows (see vocapp.dispatch), sentiment
#: claims its batches on PostgreSQL and writes the same values twice at worst on SQLite.
JOBS: list[Job] = [
    Job("heartbeat", heartbeat, lambda app: app.config["SCHEDULER_HEARTBEAT_SECONDS"]),
    Job("poll", poll, lambda app: app.config["SCHEDULE_POLL_SECONDS"]),
    Job("plan", plan, lambda app: app.config["SCHEDULE_PLAN_SECONDS"]),
    Job("send", send, lambda app: app.config["SCHEDULE_SEND_SECONDS"]),
    Job("remind", remind, lambda app: app.config["SCHEDULE_SEND_SECONDS"]),
    Job("expire", expire, lambda app: app.config["SCHEDULE_PURGE_SECONDS"]),
    Job("purge", purge, lambda app: app.config["SCHEDULE_PURGE_SECONDS"]),
    Job("sentiment", sentiment, lambda app: app.config["SCHEDULE_SENTIMENT_SECONDS"]),
]


def run_job(app: Flask, job: Job) -> None:
    """Run one job in an app context and commit, rolling back on failure."""
    with app.app_context():
        try:
            job.func(app)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job.id)


def build_scheduler(app: Flask) -> BlockingScheduler:
    """A blocking scheduler with every job in JOBS, each run once at start."""
    scheduler = BlockingScheduler(timezone="UTC")
    for job in JOBS:
        scheduler.add_job(
            run_job, "interval", args=[app, job], id=job.id, seconds=job.seconds(app),
            next_run_time=utcnow(), max_instances=1, coalesce=True, misfire_grace_time=60,
        )
    return scheduler

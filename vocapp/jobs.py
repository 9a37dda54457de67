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

from vocapp.db import db, utcnow
from vocapp.models import Heartbeat

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


#: Every periodic job; later features add theirs here.
JOBS: list[Job] = [
    Job("heartbeat", heartbeat, lambda app: app.config["SCHEDULER_HEARTBEAT_SECONDS"]),
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

"""The scheduler: its jobs, their transactions, and the heartbeat."""

from sqlalchemy import select

from vocapp.db import db
from vocapp.jobs import JOBS, PROCESS_NAME, Job, build_scheduler, run_job
from vocapp.models import Heartbeat


def test_scheduler_has_every_job_due_at_start(app):
    scheduler = build_scheduler(app)
    jobs = {j.id: j for j in scheduler.get_jobs()}
    assert set(jobs) == {j.id for j in JOBS}
    assert jobs["heartbeat"].trigger.interval.total_seconds() == app.config["SCHEDULER_HEARTBEAT_SECONDS"]


def test_heartbeat_records_and_refreshes_this_process(app):
    heartbeat = next(j for j in JOBS if j.id == "heartbeat")
    run_job(app, heartbeat)
    with app.app_context():
        first = db.session.get(Heartbeat, PROCESS_NAME).last_seen
    run_job(app, heartbeat)
    with app.app_context():
        beats = db.session.scalars(select(Heartbeat)).all()
        assert [b.name for b in beats] == [PROCESS_NAME]
        assert beats[0].last_seen >= first


def test_heartbeat_forgets_processes_dead_for_a_day(app):
    from datetime import timedelta

    from vocapp.db import utcnow

    with app.app_context():
        db.session.add(Heartbeat(name="scheduler@old:1", kind="scheduler", last_seen=utcnow() - timedelta(days=2)))
        db.session.add(Heartbeat(name="scheduler@recent:2", kind="scheduler", last_seen=utcnow() - timedelta(hours=2)))
        db.session.commit()
    run_job(app, next(j for j in JOBS if j.id == "heartbeat"))
    with app.app_context():
        assert sorted(db.session.scalars(select(Heartbeat.name))) == sorted([PROCESS_NAME, "scheduler@recent:2"])


def test_a_failing_job_rolls_back_and_does_not_raise(app, caplog):
    def half_then_fail(app):
        db.session.add(Heartbeat(name="half-written", kind="test"))
        db.session.flush()
        raise RuntimeError("boom")

    run_job(app, Job("failing", half_then_fail, lambda app: 60))
    assert "job failing failed" in caplog.text
    with app.app_context():
        assert db.session.get(Heartbeat, "half-written") is None

"""Home page and /healthz."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, jsonify, render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from vocapp.db import db, utcnow
from vocapp.main import bp
from vocapp.migrate import current_revision, head_revision
from vocapp.models import Heartbeat
from vocapp.services.departments import visible_departments


@bp.get("/")
@login_required
def index():
    """Staff home: who you are and what you can reach."""
    return render_template("main/index.html", departments=visible_departments(current_user, include_inactive=False))


@bp.get("/healthz")
def healthz():
    """Report database reachability, schema revision and scheduler liveness."""
    head = head_revision(current_app)
    body: dict = {"status": "ok", "database": "ok", "schema": {"revision": None, "head": head}}
    try:
        body["schema"]["revision"] = revision = current_revision()
        beats = db.session.scalars(select(Heartbeat).where(Heartbeat.kind == "scheduler")).all()
    except SQLAlchemyError as exc:
        db.session.rollback()
        current_app.logger.warning("healthz: database unreachable: %s", type(exc).__name__)
        body.update(status="unavailable", database="unreachable")
        return jsonify(body), 503
    if revision != head:
        body["status"] = "degraded"
        body["schema"]["message"] = "run `vocapp db upgrade`"
    stale_after = timedelta(seconds=3 * current_app.config["SCHEDULER_HEARTBEAT_SECONDS"])
    now = utcnow()
    alive = [b for b in beats if now - b.last_seen <= stale_after]
    body["scheduler"] = {
        "running": len(alive),
        "last_seen": max((b.last_seen for b in beats), default=None),
    }
    if body["scheduler"]["last_seen"]:
        body["scheduler"]["last_seen"] = body["scheduler"]["last_seen"].isoformat()
    return jsonify(body), 200 if body["status"] == "ok" else 503

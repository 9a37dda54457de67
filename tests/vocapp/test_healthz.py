"""/healthz: database reachability, schema revision, scheduler liveness."""

from datetime import timedelta

from vocapp import create_app, migrate
from vocapp.db import db, utcnow
from vocapp.jobs import JOBS, run_job
from vocapp.models import Heartbeat


def test_healthy_when_migrated_to_head(empty_database):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", **empty_database})
    migrate.upgrade(app)
    response = app.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["schema"]["revision"] == body["schema"]["head"] == migrate.head_revision(app)


def test_degraded_when_schema_is_behind(app, client):
    # the `app` fixture creates tables without Alembic, so there is no revision
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "degraded"
    assert "vocapp db upgrade" in response.get_json()["schema"]["message"]


def test_unreachable_database_is_503_with_json(tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    assert "nobody" not in response.get_data(as_text=True)


def test_reports_live_schedulers_only(app, client):
    run_job(app, next(j for j in JOBS if j.id == "heartbeat"))
    with app.app_context():
        db.session.add(Heartbeat(name="scheduler@gone:1", kind="scheduler",
                                 last_seen=utcnow() - timedelta(hours=1)))
        db.session.commit()
    scheduler = client.get("/healthz").get_json()["scheduler"]
    assert scheduler["running"] == 1 and scheduler["last_seen"] is not None


def test_staff_page_on_unreachable_database_is_a_friendly_503():
    app = create_app({"SECRET_KEY": "x", "WTF_CSRF_ENABLED": False,
                      "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    response = app.test_client().post("/login", data={"email": "a@city.example", "password": "x"})
    assert response.status_code == 503
    assert "temporarily unavailable" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)

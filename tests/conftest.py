"""Shared fixtures: an app on a fresh database (SQLite, or PostgreSQL when configured)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from vocapp import create_app
from vocapp.db import db

#: Set to a PostgreSQL URL to run the database tests there (CI does).
PG_URL = os.environ.get("VOCAPP_TEST_DATABASE_URL")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

TEST_PASSWORD = "correct horse battery staple"


def pytest_collection_modifyitems(config, items):
    """Mark every test that builds the app (and so a database) as a `db` test."""
    for item in items:
        if {"app", "client", "runner", "empty_database", "pg_engine"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.db)


def pytest_report_header(config):
    return f"database: {PG_URL or 'SQLite (set VOCAPP_TEST_DATABASE_URL for PostgreSQL)'}"


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[sa.Engine | None]:
    """An engine on the test PostgreSQL server, or None when testing on SQLite.

    An unreachable server fails the run: a CI that asked for PostgreSQL must not
    silently pass on SQLite.
    """
    if not PG_URL:
        yield None
        return
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        pytest.exit(f"VOCAPP_TEST_DATABASE_URL={PG_URL} is unreachable: {exc}", returncode=3)
    yield engine
    engine.dispose()


@pytest.fixture()
def empty_database(pg_engine, tmp_path) -> Iterator[dict]:
    """Settings for a brand-new empty database: a PostgreSQL schema or a SQLite file."""
    if pg_engine is None:
        yield {"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}", "DATABASE_SCHEMA": None}
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with pg_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield {"DATABASE_URL": PG_URL, "DATABASE_SCHEMA": schema}
    with pg_engine.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(scope="session")
def pg_schema(pg_engine) -> Iterator[str | None]:
    """One schema for the whole run on PostgreSQL; tables are emptied after each test."""
    if pg_engine is None:
        yield None
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with pg_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield schema
    with pg_engine.connect() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))


def make_test_config(request, tmp_path, pg_schema) -> dict:
    """The settings of a test app; markers `csrf` and `ratelimit` turn those protections on."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": PG_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}",
        "DATABASE_SCHEMA": pg_schema,
        "SESSION_COOKIE_SECURE": False,
        "WTF_CSRF_ENABLED": request.node.get_closest_marker("csrf") is not None,
        "RATELIMIT_ENABLED": request.node.get_closest_marker("ratelimit") is not None,
        "PASSWORD_MIN_LENGTH": 12,
        # A cheap hash keeps the suite fast; production uses scrypt (tested on its own).
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


@pytest.fixture()
def app(request, tmp_path, pg_schema, monkeypatch):
    """The application on an empty, fully created database."""
    monkeypatch.setenv("VOCAPP_INSTANCE_PATH", str(tmp_path / "instance"))
    for key in [k for k in os.environ if k.startswith("VOCAPP_") and k != "VOCAPP_INSTANCE_PATH"]:
        monkeypatch.delenv(key)
    app = create_app(make_test_config(request, tmp_path, pg_schema))
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        if pg_schema:
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture()
def shared_data() -> Path:
    """../shared/data, or a skip saying why when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA


# --- staff helpers -----------------------------------------------------------------------

@pytest.fixture()
def departments(app):
    """Two departments: Streets (STR) and Water (WTR)."""
    from vocapp.services.departments import create_department

    with app.app_context():
        depts = [create_department(None, code=c, name=n) for c, n in (("STR", "Streets"), ("WTR", "Water"))]
        db.session.commit()
        return {d.code: d.id for d in depts}


@pytest.fixture()
def make_user(app, departments):
    """Create a user with a role (and department codes); returns its id."""
    from vocapp.models import Department
    from vocapp.services.users import create_user

    def make(role: str, codes: tuple[str, ...] = (), email: str | None = None, active: bool = True) -> int:
        with app.app_context():
            depts = [db.session.scalar(sa.select(Department).where(Department.code == c)) for c in codes]
            user = create_user(None, email=email or f"{role}.{uuid.uuid4().hex[:6]}@city.example",
                               name=f"Test {role}", role=role, password=TEST_PASSWORD,
                               departments=depts, active=active)
            db.session.commit()
            return user.id

    return make


@pytest.fixture()
def login_as(app, client, make_user):
    """Create a user of `role` and sign the test client in as them; returns the user id."""
    from vocapp.models import User

    def sign_in(role: str, codes: tuple[str, ...] = ()) -> int:
        user_id = make_user(role, codes)
        with app.app_context():
            email = db.session.get(User, user_id).email
        response = client.post("/login", data={"email": email, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return sign_in


def csrf_token(client, url: str) -> str:
    """Fetch `url` and return the CSRF token embedded in its form."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)

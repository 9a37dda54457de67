"""The database handle, the declarative base and the column types every model shares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from vocapp.config import database_url

__all__ = ["db", "Base", "UTCDateTime", "utcnow", "init_app"]

#: Constraint names Alembic can find again on every backend (batch mode needs them on SQLite).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every vocapp model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Objects stay readable after the request's single commit (templates and streamed
# responses use them afterwards); each request starts from a fresh session anyway.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back time-zone aware.

    SQLite has no time zones and returns naive values; this makes both backends
    hand the application the same aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """Turn on foreign keys and WAL for every SQLite connection (no-op elsewhere)."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Point Flask-SQLAlchemy at the configured database and attach it to `app`."""
    url = make_url(database_url(app.config, app.instance_path))
    options: dict = {}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    elif app.config.get("DATABASE_SCHEMA"):
        options["connect_args"] = {"options": f"-csearch_path={app.config['DATABASE_SCHEMA']}"}
    # No pool_pre_ping: it costs a round trip on every request. After a database
    # restart the first request per worker fails (503) and SQLAlchemy then drops
    # the pool's dead connections; the next one reconnects.
    app.config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.config["SQLALCHEMY_ECHO"] = app.config["SQL_ECHO"]
    db.init_app(app)

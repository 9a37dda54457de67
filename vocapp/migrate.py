"""Alembic, driven from the application's configuration."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import text

from vocapp.db import db

__all__ = ["alembic_config", "upgrade", "downgrade", "current_revision", "head_revision"]

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(app: Flask) -> AlembicConfig:
    """An Alembic config whose env.py runs against `app`'s database."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["flask_app"] = app
    return cfg


def upgrade(app: Flask, revision: str = "head") -> None:
    """Migrate the database up to `revision`, creating the configured schema first if needed."""
    schema = app.config.get("DATABASE_SCHEMA")
    if schema:
        with app.app_context(), db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    command.upgrade(alembic_config(app), revision)


def downgrade(app: Flask, revision: str = "-1") -> None:
    """Migrate the database down to `revision` (one step by default)."""
    command.downgrade(alembic_config(app), revision)


def current_revision() -> str | None:
    """The revision the database is at (inside an app context), None when unmigrated."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(app: Flask) -> str | None:
    """The newest revision the code ships."""
    return ScriptDirectory.from_config(alembic_config(app)).get_current_head()

"""Configuration: precedence, generated secret key, clear errors for bad settings."""

import os
import stat

import pytest
from sqlalchemy import text

from vocapp import create_app
from vocapp.db import db
from vocapp.errors import ConfigError


@pytest.fixture()
def instance(tmp_path, monkeypatch):
    """An empty instance folder, and no VOCAPP_* variables but the instance path."""
    for key in [k for k in os.environ if k.startswith("VOCAPP_")]:
        monkeypatch.delenv(key)
    path = tmp_path / "instance"
    path.mkdir()
    monkeypatch.setenv("VOCAPP_INSTANCE_PATH", str(path))
    return path


def test_precedence_is_defaults_then_file_then_environment_then_test_config(instance, monkeypatch):
    assert create_app().config["LOGIN_MAX_FAILURES"] == 5
    (instance / "config.py").write_text("LOGIN_MAX_FAILURES = 7\nLOGIN_LOCKOUT_MINUTES = 30\nTIMEZONE = 'America/Chicago'\n")
    app = create_app()
    assert (app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_LOCKOUT_MINUTES"]) == (7, 30)
    monkeypatch.setenv("VOCAPP_LOGIN_MAX_FAILURES", "9")
    app = create_app()
    assert (app.config["LOGIN_MAX_FAILURES"], app.config["LOGIN_LOCKOUT_MINUTES"]) == (9, 30)
    app = create_app({"LOGIN_MAX_FAILURES": 11})
    assert (app.config["LOGIN_MAX_FAILURES"], app.config["TIMEZONE"]) == (11, "America/Chicago")


def test_environment_values_are_parsed_as_json(instance, monkeypatch):
    monkeypatch.setenv("VOCAPP_SESSION_COOKIE_SECURE", "false")
    monkeypatch.setenv("VOCAPP_PERMANENT_SESSION_LIFETIME", "3600")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 3600


def test_secret_key_is_generated_once_private_and_reused(instance):
    first = create_app().config["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert len(first) >= 64 and key_file.read_text() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert create_app().config["SECRET_KEY"] == first
    assert create_app({"SECRET_KEY": "given"}).config["SECRET_KEY"] == "given"
    assert [p.name for p in instance.iterdir() if p.name.startswith(".secret")] == []


def test_default_database_is_sqlite_in_the_instance_folder(instance):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'vocapp.sqlite3'}"


def test_sqlite_connections_have_wal_and_foreign_keys(instance):
    app = create_app()
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("DATABASE_URL", "not a url", "DATABASE_URL is not a database URL"),
    ("DATABASE_URL", "mysql://x@y/z", "vocapp supports sqlite and postgresql"),
    ("LOGIN_MAX_FAILURES", "many", "LOGIN_MAX_FAILURES must be a whole number"),
    ("SESSION_COOKIE_SECURE", "\"yes\"", "SESSION_COOKIE_SECURE must be true or false"),
    ("TIMEZONE", "Mars/Olympus", "not a known IANA time zone"),
    ("DATABASE_SCHEMA", "x; drop", "DATABASE_SCHEMA must be a plain identifier"),
])
def test_bad_environment_settings_name_the_setting(instance, monkeypatch, setting, value, message):
    monkeypatch.setenv(f"VOCAPP_{setting}", value)
    with pytest.raises(ConfigError, match=message):
        create_app()


def test_broken_instance_config_file_is_a_clear_error(instance):
    (instance / "config.py").write_text("LOGIN_MAX_FAILURES = (\n")
    with pytest.raises(ConfigError, match=r"config\.py could not be loaded: SyntaxError"):
        create_app()

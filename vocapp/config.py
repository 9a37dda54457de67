"""Configuration: defaults, then instance/config.py, then VOCAPP_* environment, then test_config."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Config
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from vocapp.errors import ConfigError

__all__ = ["DEFAULTS", "load_config", "database_url"]

#: Every setting vocapp reads, with its default. Anything may be overridden.
DEFAULTS: dict[str, object] = {
    "SECRET_KEY": None,  # generated into instance/secret_key when unset
    "DATABASE_URL": None,  # SQLite in the instance folder when unset
    "DATABASE_SCHEMA": None,  # PostgreSQL search_path, optional
    "SQL_ECHO": False,
    "TIMEZONE": "UTC",
    "SESSION_COOKIE_NAME": "vocapp_session",
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=8),
    "WTF_CSRF_TIME_LIMIT": 8 * 3600,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_LOCKOUT_MINUTES": 15,
    "LOGIN_RATE_LIMIT": "10 per minute",
    "PASSWORD_MIN_LENGTH": 12,
    "PASSWORD_HASH_METHOD": "scrypt:32768:8:1",  # werkzeug method string; raise the cost as hardware grows
    "RESIDENT_RATE_LIMIT": "30 per minute",  # survey submissions per client IP
    "PUBLIC_RATE_LIMIT": "60 per hour",  # public-link submissions per client IP (a meeting shares one IP)
    "RATELIMIT_STORAGE_URI": "locked-memory://",  # per process; redis://... to share across workers
    "RATELIMIT_ENABLED": True,
    "PROXY_FIX_X_FOR": 0,
    "PROXY_FIX_X_PROTO": 0,
    "SCHEDULER_HEARTBEAT_SECONDS": 30,
    "BOOTSTRAP_SERVE_LOCAL": True,
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # --- residents' contact details and invitations -----------------------------------------------
    "CITY_NAME": "Your City",  # signs emails and SMS, heads resident pages
    "BASE_URL": "http://127.0.0.1:5000",  # where residents' links point (https://survey.city.gov)
    "CONTACT_HASH_KEY": None,  # key of the residents' contact hashes; derived from SECRET_KEY when unset
    "CONTACT_RETENTION_DAYS": 90,  # emails and phones are purged this long after the request closed
    "DEFAULT_PHONE_REGION": "US",  # how phone numbers without a country code are read
    # --- delivery -----------------------------------------------------------------------------------
    "MAIL_BACKEND": "file",  # file (instance/outbox/*.eml) or smtp
    "MAIL_FROM": "City 311 <no-reply@example.gov>",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 587,
    "SMTP_SECURITY": "starttls",  # starttls, ssl or none
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_TIMEOUT": 30,
    "SMS_BACKEND": "file",  # file (instance/outbox/*.sms.json) or twilio (any Twilio-compatible gateway)
    "SMS_FROM": "+15550100311",
    "TWILIO_BASE_URL": "https://api.twilio.com",
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "OUTBOX_DIR": None,  # the file backends' folder; instance/outbox when unset
    "DISPATCH_BATCH": 200,  # invitations one dispatcher claims at a time
    "DISPATCH_LEASE_SECONDS": 300,  # a claim lapses after this, so a crashed dispatcher's rows are retried
    "DISPATCH_MAX_ATTEMPTS": 6,  # transient failures retried with exponential back-off, then failed
    "DISPATCH_RETRY_SECONDS": 60,  # the first retry's delay; each further one doubles it
    # --- connectors ---------------------------------------------------------------------------------
    "OPEN311_ENDPOINTS": [],  # [{"name", "url", "jurisdiction_id", "api_key", "source", ...}] polled on schedule
    "OPEN311_TIMEOUT": 30,
    "AGENCY_ALIASES": {},  # {"BOS": "SAN"}: a source's agency code -> the department code it means
    "WEBHOOK_SECRETS": {},  # {"crm": "shared secret"}: one HMAC key per sending system
    "WEBHOOK_MAX_BYTES": 64 * 1024,
    "WEBHOOK_RATE_LIMIT": "600 per minute",
    # --- scheduler intervals (seconds) --------------------------------------------------------------
    "SCHEDULE_POLL_SECONDS": 900,
    "SCHEDULE_PLAN_SECONDS": 300,
    "SCHEDULE_SEND_SECONDS": 60,
    "SCHEDULE_PURGE_SECONDS": 3600,
    "SCHEDULE_SENTIMENT_SECONDS": 30,  # free-text answers get their sentiment within a minute
}

_INTS = (
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCKOUT_MINUTES",
    "PASSWORD_MIN_LENGTH",
    "PROXY_FIX_X_FOR",
    "PROXY_FIX_X_PROTO",
    "SCHEDULER_HEARTBEAT_SECONDS",
    "CONTACT_RETENTION_DAYS",
    "SMTP_PORT",
    "SMTP_TIMEOUT",
    "DISPATCH_BATCH",
    "DISPATCH_LEASE_SECONDS",
    "DISPATCH_MAX_ATTEMPTS",
    "DISPATCH_RETRY_SECONDS",
    "OPEN311_TIMEOUT",
    "WEBHOOK_MAX_BYTES",
    "SCHEDULE_POLL_SECONDS",
    "SCHEDULE_PLAN_SECONDS",
    "SCHEDULE_SEND_SECONDS",
    "SCHEDULE_PURGE_SECONDS",
    "SCHEDULE_SENTIMENT_SECONDS",
)
_BOOLS = ("SQL_ECHO", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "RATELIMIT_ENABLED")


def load_config(config: Config, instance_path: str, test_config: dict | None) -> None:
    """Fill `config` in precedence order and check it, raising ConfigError when unusable."""
    config.update(DEFAULTS)
    config_file = Path(instance_path) / "config.py"
    if config_file.exists():
        try:
            config.from_pyfile(str(config_file))
        except Exception as exc:  # a user's file: any error is a config error
            raise ConfigError(f"{config_file} could not be loaded: {type(exc).__name__}: {exc}") from exc
    config.from_prefixed_env("VOCAPP")
    if test_config:
        config.update(test_config)
    _check(config)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _persistent_secret_key(Path(instance_path))


def database_url(config: Config, instance_path: str) -> str:
    """Return the configured database URL, or the SQLite file in the instance folder."""
    url = config.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{Path(instance_path) / 'vocapp.sqlite3'}"
    return str(url)


def _check(config: Config) -> None:
    for key in _INTS:
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{key} must be a whole number >= 0, got {value!r}")
    for key in _BOOLS:
        if not isinstance(config[key], bool):
            raise ConfigError(f"{key} must be true or false, got {config[key]!r}")
    lifetime = config["PERMANENT_SESSION_LIFETIME"]
    if isinstance(lifetime, int) and not isinstance(lifetime, bool):
        config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=lifetime)
    elif not isinstance(lifetime, timedelta):
        raise ConfigError(f"PERMANENT_SESSION_LIFETIME must be seconds or a timedelta, got {lifetime!r}")
    try:
        ZoneInfo(str(config["TIMEZONE"]))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TIMEZONE {config['TIMEZONE']!r} is not a known IANA time zone") from exc
    url = config["DATABASE_URL"]
    if url:
        try:
            parsed = make_url(str(url))
        except ArgumentError as exc:
            raise ConfigError(f"DATABASE_URL is not a database URL: {exc}") from exc
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"DATABASE_URL uses {parsed.get_backend_name()!r}; vocapp supports sqlite and postgresql"
            )
    schema = config["DATABASE_SCHEMA"]
    if schema is not None and not (isinstance(schema, str) and schema.isidentifier()):
        raise ConfigError(f"DATABASE_SCHEMA must be a plain identifier, got {schema!r}")


def _persistent_secret_key(instance: Path) -> str:
    """Read the install's secret key, creating it (mode 0600) on first start."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    instance.mkdir(parents=True, exist_ok=True)
    # Write aside, then link into place: link fails if another process got there
    # first, so every process ends up with the same, completely written key.
    tmp = instance / f".secret_key.{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()

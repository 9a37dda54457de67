"""Alembic environment: runs against the vocapp application's database."""

from alembic import context

from vocapp import create_app
from vocapp.db import UTCDateTime, db
import vocapp.models  # noqa: F401  (registers every table)

config = context.config
app = config.attributes.get("flask_app") or create_app()


def run_migrations() -> None:
    """Run migrations online, in batch mode so SQLite can alter tables."""
    with app.app_context(), db.engine.connect() as connection:
        _run(connection)


def _render_item(type_, obj, autogen_context):
    """Write app-specific column types as plain SQLAlchemy types, so migrations never import vocapp."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=db.metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_migrations()

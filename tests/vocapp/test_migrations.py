"""Migrations: an empty database upgraded to head matches the models, and downgrades cleanly."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from vocapp import create_app, migrate
from vocapp.db import db


def make_app(empty_database, tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "x", **empty_database})


def test_upgrade_to_head_matches_the_models(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    migrate.upgrade(app)
    with app.app_context():
        assert migrate.current_revision() == migrate.head_revision(app)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == []


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(empty_database, tmp_path):
    app = make_app(empty_database, tmp_path)
    migrate.upgrade(app)
    migrate.downgrade(app, "base")
    with app.app_context():
        assert migrate.current_revision() is None
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(app)
    with app.app_context():
        assert set(db.metadata.tables) <= set(sa.inspect(db.engine).get_table_names())


def test_every_constraint_is_named(app):
    for table in db.metadata.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, f"unnamed constraint on {table.name}"

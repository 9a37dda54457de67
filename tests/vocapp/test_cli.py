"""The vocapp command line: users, demo data, migrations, and clear errors."""

import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from vocapp import create_app, migrate
from vocapp.cli import cli
from vocapp.db import db
from vocapp.demo import DEMO_DEPARTMENTS, DEMO_USERS
from vocapp.models import AuditEntry, Department, Response, Role, Survey, User


def test_users_create_makes_a_scoped_dcxo(app, runner, departments):
    result = runner.invoke(args=["users", "create", "--email", "New@City.example", "--name", "New Person",
                                 "--role", "dcxo", "--department", "str", "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@city.example"))
        assert user.role == Role.DCXO and [d.code for d in user.departments] == ["STR"]
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.object_label == "new@city.example"))
        assert entry.actor_label == "cli"


def test_users_create_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["users", "create", "--email", "p@city.example", "--name", "P", "--role", "admin"],
                           input="a long enough password\na long enough password\n")
    assert result.exit_code == 0, result.output
    assert "Created admin p@city.example" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--email", "x@city.example", "--role", "dcxo", "--department", "NOPE"], "no department with code NOPE"),
    (["--email", "x@city.example", "--role", "dcxo"], "Choose at least one department"),
    (["--email", "bad-email", "--role", "admin"], "email"),
    (["--email", "x@city.example", "--role", "admin", "--password", "short"], "at least 12 characters"),
])
def test_users_create_with_bad_input_exits_2_and_creates_nothing(app, runner, departments, args, message):
    if "--password" not in args:
        args = [*args, "--password", "a long enough password"]
    result = runner.invoke(args=["users", "create", "--name", "X", *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_is_idempotent_and_prints_working_logins(app, runner):
    first = runner.invoke(args=["demo"])
    with app.app_context():
        responses = db.session.scalar(select(func.count()).select_from(Response))
    second = runner.invoke(args=["demo"])
    assert first.exit_code == second.exit_code == 0
    assert "synthetic responses added" in first.output and "synthetic" not in second.output
    assert first.output.split("Demo logins:")[1] == second.output.split("Demo logins:")[1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Department)) == len(DEMO_DEPARTMENTS)
        assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_USERS)
        surveys = db.session.scalars(select(Survey)).all()
        assert len(surveys) == 3 * len(DEMO_DEPARTMENTS) and all(s.live for s in surveys)
        assert db.session.scalar(select(func.count()).select_from(Response)) == responses >= 300
        spread = db.session.execute(select(func.min(Response.submitted_at), func.max(Response.submitted_at))).one()
        assert (spread[1] - spread[0]).days >= 80
    with open(os.path.join(app.instance_path, "demo_logins.json")) as fh:
        logins = json.load(fh)
    for email, _name, role, _codes in DEMO_USERS:
        assert f"{email}" in first.output and logins[email] in first.output
        response = app.test_client().post("/login", data={"email": email, "password": logins[email]})
        assert response.status_code == 302, role


def test_demo_gives_new_passwords_when_the_logins_file_is_lost(app, runner):
    runner.invoke(args=["demo"])
    path = os.path.join(app.instance_path, "demo_logins.json")
    os.remove(path)
    assert runner.invoke(args=["demo"]).exit_code == 0
    with open(path) as fh:
        logins = json.load(fh)
    response = app.test_client().post("/login", data={"email": DEMO_USERS[0][0], "password": logins[DEMO_USERS[0][0]]})
    assert response.status_code == 302


def test_db_upgrade_and_downgrade_commands(empty_database):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", **empty_database})
    runner = app.test_cli_runner()
    head = migrate.head_revision(app)
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0 and f"Database is at revision {head}" in up.output
    current = runner.invoke(args=["db", "current"])
    assert f"database: {head}" in current.output
    down = runner.invoke(args=["db", "downgrade", "base"])
    assert down.exit_code == 0 and "(empty)" in down.output


def test_bad_configuration_exits_2_with_the_setting_named(tmp_path):
    result = CliRunner().invoke(cli, ["users", "list"], env={
        "VOCAPP_INSTANCE_PATH": str(tmp_path), "VOCAPP_DATABASE_URL": "nonsense"})
    assert result.exit_code == 2
    assert "configuration error: DATABASE_URL is not a database URL" in result.output


def test_console_script_is_installed_and_lists_the_commands():
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "vocapp", "--help"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0
    scripts = subprocess.run([f"{sys.prefix}/bin/vocapp", "--help"], capture_output=True, text=True, check=False)
    assert scripts.returncode == 0
    for command in ("db", "users", "demo", "scheduler", "run"):
        assert f"  {command}" in scripts.stdout


def test_unreachable_database_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(cli, ["db", "upgrade"], env={
        "VOCAPP_INSTANCE_PATH": str(tmp_path), "VOCAPP_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    assert result.exit_code == 1
    assert "database error (OperationalError)" in result.output
    assert "Traceback" not in result.output

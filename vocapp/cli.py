"""The `vocapp` command line: a Flask CLI group with vocapp's own commands."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from vocapp import create_app
from vocapp.db import db
from vocapp.errors import ConfigError, ValidationError

__all__ = ["cli", "init_app", "main"]


class CliError(click.ClickException):
    """Bad input on the command line: message on stderr, exit status 2."""

    exit_code = 2


def _create_app(*args, **kwargs):
    try:
        return create_app()
    except ConfigError as exc:
        raise CliError(f"configuration error: {exc}") from exc


class VocappGroup(FlaskGroup):
    """FlaskGroup that reports database failures as one clear line, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise click.ClickException(f"database error ({type(exc).__name__}): {reason}") from exc


cli = VocappGroup(name="vocapp", create_app=_create_app, add_version_option=False,
                  help="vocapp: Voice of the Customer for city services.")


# --- database ---------------------------------------------------------------------

@click.group("db")
def db_group():
    """Database schema migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str):
    """Migrate the database up to REVISION (default: the newest)."""
    from vocapp import migrate

    migrate.upgrade(current_app, revision)
    click.echo(f"Database is at revision {migrate.current_revision()}.")


@db_group.command("downgrade")
@click.argument("revision", default="-1")
@with_appcontext
def db_downgrade(revision: str):
    """Migrate the database down to REVISION (default: one step)."""
    from vocapp import migrate

    migrate.downgrade(current_app, revision)
    click.echo(f"Database is at revision {migrate.current_revision() or '(empty)'}.")


@db_group.command("current")
@with_appcontext
def db_current():
    """Show the database's revision and the newest one."""
    from vocapp import migrate

    click.echo(f"database: {migrate.current_revision() or '(empty)'}\nhead:     {migrate.head_revision(current_app)}")


# --- users -----------------------------------------------------------------------

@click.group("users")
def users_group():
    """Staff accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["admin", "dcxo", "program_lead", "viewer"]))
@click.option("--department", "departments", multiple=True, metavar="CODE",
              help="Department code; repeat for several (DCXOs and viewers need one).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for when not given.")
@with_appcontext
def users_create(email, name, role, departments, password):
    """Create a staff account."""

    from vocapp.models import Department
    from vocapp.services.users import create_user

    found = {d.code: d for d in db.session.scalars(select(Department).where(Department.code.in_(
        [c.upper() for c in departments])))}
    missing = sorted({c.upper() for c in departments} - set(found))
    if missing:
        raise CliError(f"no department with code {', '.join(missing)}")
    try:
        user = create_user(None, email=email, name=name, role=role, password=password,
                           departments=list(found.values()), actor_label="cli")
    except ValidationError as exc:
        raise CliError(f"{exc.field or 'input'}: {exc.message}") from exc
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email}.")


@users_group.command("list")
@with_appcontext
def users_list():
    """List staff accounts."""

    from vocapp.models import User

    for u in db.session.scalars(select(User).order_by(User.email)):
        scope = "all" if u.sees_all_departments else ",".join(d.code for d in u.departments)
        click.echo(f"{u.email:40} {u.role.value:13} {scope:20} {'active' if u.active else 'disabled'}")


# --- demo and scheduler --------------------------------------------------------------

@click.command("demo")
@with_appcontext
def demo():
    """Load the demo data (idempotent) and print the demo logins."""
    from vocapp import dispatch, jobs
    from vocapp.demo import load_demo
    from vocapp.demo_city import load_demo_city
    from vocapp.demo_responses import load_demo_surveys
    from vocapp.services.planning import plan_active

    logins = load_demo(Path(current_app.instance_path) / "demo_logins.json")
    load_demo_surveys(populate=False)  # the demo city's campaign needs the published surveys
    db.session.commit()
    click.echo(load_demo_city())
    # Responses come after the city, so most of them answer one of its closed requests (service and ward).
    added = load_demo_surveys()
    db.session.commit()
    if added:
        click.echo(f"Demo surveys published; {added} synthetic responses added over the last 90 days.")
    planned = sum(r.created for r in plan_active(db.session.connection()).values())
    db.session.commit()
    sent = dispatch.dispatch_once(current_app._get_current_object())
    outbox = Path(current_app.instance_path) / "outbox"
    click.echo(f"Demo campaign: {planned} invitation(s) planned; dispatch {sent}; see {outbox}.")
    # What the scheduler's sentiment job would do within a minute, now, so the results pages are full.
    scored = jobs.sentiment(current_app._get_current_object())
    click.echo(f"Sentiment: {scored} comment(s) analysed." if scored else "Sentiment: every comment is analysed.")
    click.echo("Demo logins:")
    for login in logins:
        click.echo(f"  {login.role.label:24} {login.email:40} {login.password}")


@click.command("scheduler")
@with_appcontext
def scheduler():
    """Run the background jobs until stopped (Ctrl-C or SIGTERM)."""
    from vocapp.jobs import JOBS, build_scheduler

    sched = build_scheduler(current_app._get_current_object())

    def stop(signum, frame):
        if sched.running:  # a second SIGTERM (e.g. from make's trap) finds it stopped already
            sched.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    click.echo(f"Scheduler running {len(JOBS)} job(s): {', '.join(j.id for j in JOBS)}. Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        sched.start()
    click.echo("Scheduler stopped.")


@click.command("dispatch")
@click.option("--plan/--no-plan", default=True, show_default=True, help="Plan new invitations first.")
@click.option("--kind", type=click.Choice(["all", "first", "reminder"]), default="all", show_default=True,
              help="Send first messages, reminders or both.")
@with_appcontext
def dispatch_command(plan: bool, kind: str):
    """One pass: plan active campaigns, send due invitations and reminders, expire old links."""
    from vocapp import dispatch
    from vocapp.services.planning import plan_active

    if plan:
        for campaign_id, report in plan_active(db.session.connection()).items():
            click.echo(f"campaign {campaign_id}: {report.created} invitation(s) planned")
        db.session.commit()
    click.echo(f"Dispatch: {dispatch.dispatch_once(current_app._get_current_object(), kind=kind)}.")
    expired = dispatch.expire(db.session.connection())
    db.session.commit()
    if expired:
        click.echo(f"{expired} invitation(s) expired.")


@click.group("campaigns")
def campaigns_group():
    """Survey campaigns."""


@campaigns_group.command("list")
@with_appcontext
def campaigns_list():
    """List campaigns with their status."""
    from vocapp.models import Campaign

    for c in db.session.scalars(select(Campaign).order_by(Campaign.id)):
        click.echo(f"{c.id:4} {c.status.value:8} {c.department.code:8} {c.name}")


@campaigns_group.command("plan")
@click.argument("campaign_id", type=int)
@click.option("--dry-run", is_flag=True, help="Count what each rule keeps or drops; write nothing.")
@with_appcontext
def campaigns_plan(campaign_id: int, dry_run: bool):
    """Plan one campaign's invitations now (any status), printing what each rule did."""
    from vocapp.models import Campaign
    from vocapp.services.planning import plan
    from vocapp.services.surveys import definition

    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise click.UsageError(f"no campaign {campaign_id}")
    report = plan(db.session.connection(), campaign, dry_run=dry_run,
                  survey_languages=definition(campaign.version).languages)
    for _rule, label, count in report.rows():
        click.echo(f"{count:8}  {label}")
    if dry_run:
        click.echo("Dry run: nothing was written.")
    else:
        db.session.commit()
        click.echo(f"{report.created} invitation(s) planned.")


@click.group("translations")
def translations_group():
    """Message catalogs of the resident pages."""


@translations_group.command("update")
def translations_update():
    """Extract resident-facing texts and merge them into every language's catalog."""
    from babel.messages.frontend import CommandLineInterface

    from vocapp.i18n import TRANSLATIONS, update_catalogs

    root = TRANSLATIONS.parent.parent
    CommandLineInterface().run([
        "pybabel", "-q", "extract", "-F", str(root / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext",
        "--no-location", "--sort-output", "--project", "vocapp", "-o", str(TRANSLATIONS / "messages.pot"), str(root),
    ])
    _report_untranslated(update_catalogs())


@translations_group.command("check")
def translations_check():
    """List languages with untranslated messages; exit 1 if any."""
    from vocapp.i18n import untranslated

    if _report_untranslated(untranslated()):
        raise SystemExit(1)


def _report_untranslated(missing: dict[str, int]) -> int:
    gaps = {code: n for code, n in missing.items() if n}
    for code, n in gaps.items():
        click.echo(f"{code}: {n} message(s) to translate")
    if not gaps:
        click.echo(f"All {len(missing)} catalogs are complete.")
    return len(gaps)


def init_app(app) -> None:
    """Register vocapp's commands on the app (so `flask --app vocapp` has them too)."""
    from vocapp.connectors.csvimport import requests_group
    from vocapp.connectors.open311 import open311_group
    from vocapp.sentiment_cli import sentiment_command

    for command in (db_group, users_group, demo, scheduler, translations_group, requests_group, open311_group,
                    dispatch_command, campaigns_group, sentiment_command):
        app.cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="vocapp")

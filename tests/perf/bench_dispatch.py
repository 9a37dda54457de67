"""Several dispatch processes against a flaky SMTP server: every invitation delivered exactly once.

Plans ``--invitations`` invitations in a fresh database (SQLite file or a new
PostgreSQL schema), starts a real SMTP server on loopback (aiosmtpd) that
answers "451 try again" to every ``--fail-every``-th transaction, and runs
``--workers`` separate processes, each calling `vocapp.dispatch.dispatch_once`
until nothing is left to send. Then it counts, per recipient, the messages
the server accepted: zero duplicates and zero lost invitations pass.

    .venv/bin/python tests/perf/bench_dispatch.py --db postgres --invitations 2000 --workers 4

Exit status 0 when it passes, 1 when not, 2 when it could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_respond import SetupError, build_app, prepare_target  # noqa: E402
from tests.vocapp.campaigns.settings import defaults  # noqa: E402
from tests.vocapp.delivery.smtpserver import RecordingHandler, SmtpServer  # noqa: E402

__all__ = ["Result", "run", "main", "worker_main"]


@dataclass
class Result:
    """What a run found."""

    db: str
    invitations: int
    workers: int
    seconds: float
    transactions: int
    transient_failures: int
    accepted: int
    duplicates: int
    lost: int
    states: dict

    @property
    def passed(self) -> bool:
        return self.duplicates == 0 and self.lost == 0 and self.accepted == self.invitations

    @property
    def rate(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


def _seed(app, count: int) -> None:
    """A department, a published survey, an active campaign and `count` planned invitations."""
    from vocapp.connectors.records import RequestRecord
    from vocapp.db import db, utcnow
    from vocapp.models import Campaign, CampaignStatus, Channel, RequestStatus
    from vocapp.services import campaigns
    from vocapp.services.departments import create_department
    from vocapp.services.planning import plan
    from vocapp.services.requests import Contacts, DepartmentMap, upsert
    from vocapp.services.surveys import create_survey, publish

    now = utcnow()
    with app.app_context():
        department = create_department(None, code="BEN", name="Bench")
        survey = create_survey(None, department=department, name="Bench survey", template="post_service")
        version = publish(None, survey)
        values = defaults(name="Bench", survey_version_id=version.id, delay_minutes=0, channel_order="email_only",
                          reminders=0, send_rate_per_minute=100_000)
        campaign = campaigns.create_campaign(None, department=department, survey=survey, values=values)
        campaigns.set_status(None, campaign, CampaignStatus.ACTIVE)
        conn = db.session.connection()
        records = [RequestRecord(source="bench", source_id=str(i), status=RequestStatus.CLOSED, agency="BEN",
                                 channel=Channel.WEB, closed_at=now - timedelta(hours=1),
                                 contact_email=f"resident{i}@example.org") for i in range(count)]
        upsert(conn, records, DepartmentMap(conn), Contacts.from_app())
        report = plan(conn, db.session.get(Campaign, campaign.id), survey_languages=("en",))
        db.session.commit()
        db.engine.dispose()
        if report.created != count:
            raise SetupError(f"planned {report.created} invitations, expected {count}")


def worker_main() -> None:
    """One dispatch process: passes until nothing is due or claimed anywhere (env configures the app)."""
    from sqlalchemy import func, select

    from vocapp import create_app
    from vocapp.db import db
    from vocapp.dispatch import dispatch_once
    from vocapp.models import Invitation, InvitationState

    app = create_app()
    deadline = time.monotonic() + float(os.environ.get("BENCH_DEADLINE", "300"))
    name = f"bench-{os.getpid()}"
    while time.monotonic() < deadline:
        with app.app_context():
            report = dispatch_once(app, worker=name)
            if not report.counts["claimed"]:
                open_rows = db.session.scalar(select(func.count()).select_from(Invitation).where(
                    Invitation.state == InvitationState.PLANNED))
                db.session.rollback()
                if not open_rows:
                    return
                time.sleep(0.02)  # the others hold the remaining rows, or retries are not due yet


def run(db: str, invitations: int, workers: int, fail_every: int, database_url: str | None = None,
        say=lambda message: None) -> Result:
    """Seed, serve SMTP, run the dispatch processes and count what arrived."""
    options = argparse.Namespace(db=db, database_url=database_url or os.environ.get(
        "VOCAPP_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    with tempfile.TemporaryDirectory(prefix="vocapp-dispatch-") as tmp:
        target = prepare_target(options, Path(tmp))
        try:
            say(f"seeding {invitations} planned invitations on {db}")
            _seed(build_app(target), invitations)
            handler = RecordingHandler(fail_every=fail_every, keep=True)
            with SmtpServer(handler=handler) as smtp:
                env = {**os.environ, **target.env, "VOCAPP_MAIL_BACKEND": "smtp", "VOCAPP_SMTP_HOST": smtp.host,
                       "VOCAPP_SMTP_PORT": str(smtp.port), "VOCAPP_SMTP_SECURITY": "none",
                       "VOCAPP_DISPATCH_RETRY_SECONDS": "0", "VOCAPP_DISPATCH_BATCH": "25",
                       "PYTHONPATH": str(ROOT)}
                say(f"running {workers} dispatch processes against SMTP on port {smtp.port} "
                    f"(every {fail_every}th transaction fails with 451)")
                start = time.perf_counter()
                procs = [subprocess.Popen([sys.executable, "-c",
                                           "from tests.perf.bench_dispatch import worker_main; worker_main()"],
                                          env=env, cwd=ROOT) for _ in range(workers)]
                codes = [p.wait() for p in procs]
                seconds = time.perf_counter() - start
                if any(codes):
                    raise SetupError(f"a dispatch process failed (exit codes {codes})")
                per_recipient = Counter(r for m in handler.messages for r in m.rcpt_tos)
            states = _states(build_app(target))
        finally:
            target.drop()
    expected = {f"resident{i}@example.org" for i in range(invitations)}
    return Result(db=db, invitations=invitations, workers=workers, seconds=seconds,
                  transactions=handler.transactions, transient_failures=handler.transactions - handler.accepted,
                  accepted=handler.accepted, duplicates=sum(n - 1 for n in per_recipient.values() if n > 1),
                  lost=len(expected - set(per_recipient)) + sum(n for s, n in states.items() if s != "sent"),
                  states=states)


def _states(app) -> dict:
    from sqlalchemy import func, select

    from vocapp.db import db
    from vocapp.models import Invitation

    with app.app_context():
        rows = db.session.execute(select(Invitation.state, func.count()).group_by(Invitation.state)).all()
        db.engine.dispose()
    return {getattr(state, "value", state): n for state, n in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server for --db postgres")
    parser.add_argument("--invitations", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--fail-every", type=int, default=10, help="every Nth SMTP transaction fails (451)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        result = run(args.db, args.invitations, args.workers, args.fail_every, args.database_url,
                     say=lambda m: print(f"[bench] {m}", file=sys.stderr))
    except SetupError as exc:
        print(f"bench_dispatch: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({**asdict(result), "passed": result.passed, "rate": result.rate}, indent=2))
    else:
        print(f"dispatch benchmark: {result.db}, {result.workers} processes, {result.invitations} invitations")
        print(f"  {result.seconds:.1f} s, {result.rate:.0f} messages/s accepted")
        print(f"  SMTP transactions {result.transactions}, transient failures {result.transient_failures}")
        print(f"  accepted {result.accepted}, duplicates {result.duplicates}, lost {result.lost}")
        print(f"  invitation states {result.states}")
        print("PASS" if result.passed else "FAIL")
    return 0 if result.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())

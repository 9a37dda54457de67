"""Planning invitations for 100,000 closed requests: at most 20 s.

Seeds ``--requests`` closed requests (a resident each, one in ten with only a
phone, a few cancelled, duplicates and reopened) in a fresh database, then
times `vocapp.services.planning.plan` for one campaign with every rule on
(sampling at 50%, a contact cap, quiet hours) and its commit.

    .venv/bin/python tests/perf/bench_plan.py --db sqlite --requests 100000

Exit status 0 when it passes, 1 when not, 2 when it could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.perf.bench_respond import SetupError, build_app, prepare_target  # noqa: E402
from tests.vocapp.campaigns.settings import defaults  # noqa: E402

__all__ = ["seed", "measure", "main"]

LIMIT_SECONDS = 20.0


def seed(app, count: int) -> int:
    """Store `count` recently closed requests and an active campaign; return the campaign id."""
    from vocapp.connectors.records import RequestRecord
    from vocapp.db import db, utcnow
    from vocapp.models import Channel, RequestStatus
    from vocapp.services import campaigns
    from vocapp.services.departments import create_department
    from vocapp.services.requests import Contacts, DepartmentMap, upsert
    from vocapp.services.surveys import create_survey, publish

    now = utcnow()
    with app.app_context():
        department = create_department(None, code="BEN", name="Bench")
        survey = create_survey(None, department=department, name="Bench survey", template="post_service")
        version = publish(None, survey)
        values = defaults(name="Bench", survey_version_id=version.id, excluded_service_codes=["SENSITIVE"],
                          sample_rate=0.5, quiet_start="21:00", quiet_end="08:00")
        campaign = campaigns.create_campaign(None, department=department, survey=survey, values=values)
        campaigns.set_status(None, campaign, campaign.status.__class__("active"))
        db.session.commit()
        conn = db.session.connection()
        departments, contacts = DepartmentMap(conn), Contacts.from_app()
        batch = []
        for i in range(count):
            batch.append(RequestRecord(
                source="bench", source_id=str(i), agency="BEN", channel=Channel.PHONE, ward=str(i % 15),
                status=RequestStatus.CANCELLED if i % 50 == 0 else RequestStatus.CLOSED,
                service_code="SENSITIVE" if i % 97 == 0 else f"SVC{i % 40}",
                requested_at=now - timedelta(days=6), closed_at=now - timedelta(minutes=i % 8000),
                duplicate_of="0" if i % 71 == 0 else None, language="es" if i % 4 == 0 else "en",
                contact_email=None if i % 10 == 0 else f"resident{i % (count * 9 // 10)}@example.org",
                contact_phone=f"+1213555{i % 10000:04d}" if i % 10 == 0 else None))
            if len(batch) == 5000:
                upsert(conn, batch, departments, contacts)
                batch = []
        if batch:
            upsert(conn, batch, departments, contacts)
        db.session.commit()
        cid = campaign.id
        db.engine.dispose()
    return cid


def measure(app, campaign_id: int) -> tuple[float, dict]:
    """Seconds to plan (and commit) the campaign, and the rule counts."""
    from vocapp.db import db
    from vocapp.models import Campaign
    from vocapp.services.planning import plan

    with app.app_context():
        start = time.perf_counter()
        report = plan(db.session.connection(), db.session.get(Campaign, campaign_id), survey_languages=("en", "es"))
        db.session.commit()
        seconds = time.perf_counter() - start
        db.engine.dispose()
    return seconds, dict(report.counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", default=os.environ.get(
        "VOCAPP_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--requests", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vocapp-plan-") as tmp:
        try:
            target = prepare_target(args, Path(tmp))
        except SetupError as exc:
            print(f"bench_plan: {exc}", file=sys.stderr)
            return 2
        try:
            app = build_app(target)
            print(f"[bench] seeding {args.requests} closed requests on {args.db}", file=sys.stderr)
            started = time.perf_counter()
            campaign_id = seed(app, args.requests)
            print(f"[bench] seeded in {time.perf_counter() - started:.1f} s; planning", file=sys.stderr)
            seconds, counts = measure(app, campaign_id)
        finally:
            target.drop()
    passed = seconds <= LIMIT_SECONDS
    print(f"planning benchmark: {args.db}, {args.requests} closed requests")
    print(f"  planned in {seconds:.2f} s (limit {LIMIT_SECONDS:.0f} s), {args.requests / seconds:,.0f} requests/s")
    print("  " + ", ".join(f"{rule} {n}" for rule, n in counts.items()))
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())

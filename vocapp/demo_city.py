"""The demo city: Los Angeles' 311 sample as recent requests, demo contacts, and a live campaign.

The sample (../shared/data/311/la) is from December 2017 and has no contact
details, so the demo moves its dates to end an hour ago, gives most requests a
fictional resident (example.org addresses, 555-01xx numbers) with a language,
and starts a Sanitation campaign whose invitations land in instance/outbox.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import bindparam, func, select, update

from vocapp.connectors.csvimport import import_file, resolve_spec
from vocapp.contacts import contact_hash, hash_key, normalize_email, normalize_phone
from vocapp.db import db, utcnow
from vocapp.models import Campaign, CampaignStatus, Department, RequestStatus, ServiceRequest, Survey
from vocapp.services import campaigns

__all__ = ["LA_SAMPLE", "DEMO_AGENCIES", "load_demo_city"]

#: The LA sample, beside the repository (read in place, never copied).
LA_SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "311" / "la" / \
    "MyLA311_Service_Request_Data_2017_Subset.csv"
#: LA "Owner" codes -> demo department codes (ITA, the IT agency, stays unmapped on purpose).
DEMO_AGENCIES = {"BOS": "SAN", "OCB": "STR", "BSL": "STR", "LADWP": "WTR"}
#: Languages of the demo residents, as (code, weight): roughly LA's 311 callers.
_LANGUAGES = [("en", 62), ("es", 24), ("ko", 3), ("zh-Hans", 3), ("vi", 2), ("tl", 2), ("ar", 1), ("ru", 1),
              ("zh-Hant", 1), ("bn", 1)]
_SOURCE = "la"


def _pick(key: str, salt: str) -> float:
    """A stable pseudo-random number in [0, 1) for `key` (the demo looks the same on every load)."""
    return int.from_bytes(hashlib.sha256(f"{salt}:{key}".encode()).digest()[:8], "big") / 2**64


def _language(key: str) -> str:
    point, total = _pick(key, "lang") * sum(w for _c, w in _LANGUAGES), 0
    for code, weight in _LANGUAGES:
        total += weight
        if point < total:
            return code
    return "en"


@contextlib.contextmanager
def _aliases(extra: dict[str, str]) -> Iterator[None]:
    """Map the sample's agency codes to demo departments for the length of the import."""
    config = current_app.config
    saved = config.get("AGENCY_ALIASES")
    config["AGENCY_ALIASES"] = {**extra, **(saved or {})}
    try:
        yield
    finally:
        config["AGENCY_ALIASES"] = saved


def _make_recent_and_reachable() -> int:
    """Move the sample's dates to end an hour ago; add demo contacts and languages. Returns rows changed."""
    table = ServiceRequest.__table__
    closings = sorted(db.session.scalars(select(table.c.closed_at).where(table.c.source == _SOURCE,
                                                                        table.c.closed_at.is_not(None))))
    if not closings:
        return 0
    # A few requests closed months after the sample; line up the 80th percentile with an hour ago,
    # so most are freshly closed and the slowest ones are still open "now".
    now = utcnow()
    shift = now - timedelta(hours=1) - closings[int(len(closings) * 0.8)]
    key = hash_key()
    rows = []
    for r in db.session.execute(select(table.c.id, table.c.source_id, table.c.requested_at, table.c.closed_at,
                                       table.c.source_updated_at).where(table.c.source == _SOURCE)):
        roll = _pick(r.source_id, "contact")
        email = normalize_email(f"resident.{r.source_id.lower()}@example.org") if roll < 0.6 else None
        phone = normalize_phone(f"213555{int(_pick(r.source_id, 'phone') * 100):04d}") if 0.6 <= roll < 0.8 else None
        closed = r.closed_at and r.closed_at + shift
        still_open = closed is not None and closed > now
        rows.append({
            "b_id": r.id, "b_requested": r.requested_at and min(r.requested_at + shift, now),
            "b_closed": None if still_open else closed,
            "b_status": RequestStatus.OPEN.value if still_open else None,
            "b_updated": r.source_updated_at and r.source_updated_at + shift,
            "b_email": email, "b_phone": phone, "b_hash": contact_hash(email or phone, key),
            "b_pref": "sms" if phone else None, "b_lang": _language(r.source_id),
        })
    db.session.execute(
        update(table).where(table.c.id == bindparam("b_id")).values(
            requested_at=bindparam("b_requested"), closed_at=bindparam("b_closed"),
            source_updated_at=bindparam("b_updated"), status=func.coalesce(bindparam("b_status"), table.c.status), contact_email=bindparam("b_email"),
            contact_phone=bindparam("b_phone"), contact_hash=bindparam("b_hash"),
            contact_preference=bindparam("b_pref"), language=bindparam("b_lang")),
        rows, execution_options={"synchronize_session": False})
    return len(rows)


def _campaign() -> Campaign | None:
    """The demo's Sanitation campaign on its post-service survey (made once)."""
    department = db.session.scalar(select(Department).where(Department.code == "SAN"))
    if department is None:
        return None
    existing = db.session.scalar(select(Campaign).where(Campaign.department_id == department.id))
    if existing is not None:
        return existing
    survey = db.session.scalar(select(Survey).where(Survey.department_id == department.id,
                                                    Survey.template == "post_service"))
    if survey is None or survey.live is None:
        return None
    values = dict(name="After every closed Sanitation request", survey_version_id=survey.live.id, departments=[],
                  service_codes=[], channels=[], wards=[], excluded_service_codes=[], exclude_reopened=True,
                  exclude_duplicates=True, sample_rate=0.25, delay_minutes=30, quiet_start=None, quiet_end=None,
                  channel_order="email_first", reminders=1, reminder_after_hours=72, expiry_days=14,
                  contact_cap_days=30, max_age_days=7, send_rate_per_minute=600)
    campaign = campaigns.create_campaign(None, department=department, survey=survey, values=values,
                                         actor_label="demo")
    campaigns.set_status(None, campaign, CampaignStatus.ACTIVE)
    return campaign


def load_demo_city(sample: Path = LA_SAMPLE) -> str:
    """Import the LA sample once as the demo city and start its campaign; a line saying what happened."""
    if not sample.exists():
        return f"Demo city skipped: {sample} is not there."
    already = db.session.scalar(select(func.count()).select_from(ServiceRequest)
                                .where(ServiceRequest.source == _SOURCE))
    if already:
        _campaign()
        return f"Demo city: {already} LA requests already loaded."
    db.session.commit()  # the import works on its own connection and commits per batch
    with _aliases(DEMO_AGENCIES):
        report = import_file(sample, resolve_spec("la", None))
    changed = _make_recent_and_reachable()
    _campaign()
    return (f"Demo city: {report.rows_stored} LA requests imported ({report.rows_rejected} quarantined, see "
            f"/requests/imports); {changed} moved to the last days, most with a demo resident's email or phone.")

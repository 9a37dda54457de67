"""A campaign's funnel: closed -> eligible -> invited -> delivered -> answered, and why requests dropped out.

The first two stages come from the campaign's last planning pass (`Campaign.last_plan`),
which counted every request closed in its window (the `max_age_days` before the
pass) rule by rule:

- closed   = requests closed in the window and inside the campaign's departments,
             services, channels and wards (the pass's "closed" minus "filters");
- eligible = closed minus the exclusions, the requests without a usable contact
             and opted-out residents (cancelled, reopened, duplicate, sensitive,
             no_contact, opted_out). What is left was invited earlier
             (already_planned), is invited now, or was left out by sampling or the
             contact cap.

The last three count the campaign's invitations, over its whole life:

- invited   = invitations of the campaign;
- delivered = invitations sent at least once (`sent_at` set; a response counts too);
- answered  = invitations in state answered or with a response.

Each stage's rate is a share of the stage before. Invitations outlive the
planning window, so "invited" is compared with "eligible" on the pass's own
counts: (already_planned + invited) / eligible, the share of the eligible requests
of the window that have an invitation. Only reads; never commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import case, func, or_, select

from surveys.metrics import Estimate, wilson
from vocapp.db import db
from vocapp.models import Campaign, Invitation, InvitationState, Response, ServiceRequest
from vocapp.services.planning import RULES

__all__ = ["STAGES", "EXCLUSIONS", "Stage", "Breakdown", "Funnel", "InvitationRow", "campaign_funnel",
           "by_campaign", "recent_invitations"]

#: The stages in order, with what pages call them.
STAGES = {
    "closed": "Closed in scope",
    "eligible": "Eligible",
    "invited": "Invited",
    "delivered": "Delivered",
    "answered": "Answered",
}
#: Planning rules that make a closed request ineligible (before sampling and the contact cap).
EXCLUSIONS = ("cancelled", "reopened", "duplicate", "sensitive", "no_contact", "opted_out")
#: Why requests of the window were not invited: every rule but the stages themselves.
_NOT_INVITED = tuple(rule for rule in RULES if rule not in ("closed", "already_planned", "invited"))


@dataclass(frozen=True)
class Stage:
    """One stage: how many got this far (None when unknown: never planned), and the share of the stage before."""

    key: str
    label: str
    count: int | None
    rate: float | None


@dataclass(frozen=True)
class Breakdown:
    """Invitation stages of one channel, language or campaign, with its response rate."""

    key: str | int
    invited: int
    delivered: int
    answered: int

    @property
    def response_rate(self) -> Estimate:
        """Answered / delivered, Wilson 95% interval."""
        return wilson(self.answered, self.delivered)


@dataclass(frozen=True)
class Funnel:
    """Everything the campaign page shows about how far requests got."""

    stages: tuple[Stage, ...]
    response_rate: Estimate
    by_channel: tuple[Breakdown, ...]
    by_language: tuple[Breakdown, ...]
    #: (rule, label, count) of the last planning pass, for the rules that kept requests from an invitation.
    reasons: tuple[tuple[str, str, int], ...]
    #: Invitations by state (planned, sent, reminded, answered, expired, failed, opted_out).
    states: dict[str, int]
    #: The last planning pass and its window of closing times (None before the first pass).
    planned_at: datetime | None
    window_start: datetime | None

    @property
    def window_end(self) -> datetime | None:
        return self.planned_at

    def stage(self, key: str) -> Stage:
        return next(s for s in self.stages if s.key == key)


class InvitationRow(NamedTuple):
    """An invitation as the campaign page lists it: no contact details, no token material."""

    id: int
    source: str | None
    source_id: str | None
    channel: str
    language: str
    state: str
    send_after: datetime | None
    sent_at: datetime | None
    reminders_sent: int
    last_error: str | None


def _share(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


_I = Invitation.__table__
_ANSWERED = or_(_I.c.state == InvitationState.ANSWERED.value, Response.__table__.c.id.is_not(None))
# Answered implies delivered, whatever the dispatcher recorded, so the funnel never widens.
_DELIVERED = or_(_I.c.sent_at.is_not(None), _ANSWERED)


def _totals(*keys, where) -> list:
    """(keys..., invited, delivered, answered) grouped by `keys`, over campaign invitations matching `where`."""
    joined = _I.outerjoin(Response.__table__, Response.__table__.c.invitation_id == _I.c.id)
    query = (select(*keys, func.count(), func.sum(case((_DELIVERED, 1), else_=0)),
                    func.sum(case((_ANSWERED, 1), else_=0)))
             .select_from(joined).where(where, _I.c.is_test.is_(False)).group_by(*keys).order_by(*keys))
    return db.session.execute(query).all()


def _breakdowns(rows: Iterable) -> tuple[Breakdown, ...]:
    """Largest first (most invitations), then by key."""
    made = [Breakdown(key, n, int(d or 0), int(a or 0)) for key, n, d, a in rows]
    return tuple(sorted(made, key=lambda b: (-b.invited, str(b.key))))


def _plan_counts(campaign: Campaign) -> tuple[dict[str, int] | None, datetime | None]:
    last = campaign.last_plan or {}
    counts = last.get("counts")
    at = datetime.fromisoformat(last["at"]) if last.get("at") else None
    return ({rule: int(counts.get(rule, 0)) for rule in RULES} if counts is not None else None), at


def campaign_funnel(campaign: Campaign) -> Funnel:
    """The funnel of one campaign (see the module's docstring for what each stage counts)."""
    where = _I.c.campaign_id == campaign.id
    by_channel = _breakdowns(_totals(_I.c.channel, where=where))
    by_language = _breakdowns(_totals(_I.c.language, where=where))
    invited = sum(b.invited for b in by_channel)
    delivered = sum(b.delivered for b in by_channel)
    answered = sum(b.answered for b in by_channel)
    states = {s.value: 0 for s in InvitationState}
    for state, n in db.session.execute(select(_I.c.state, func.count()).where(where, _I.c.is_test.is_(False))
                                       .group_by(_I.c.state)):
        states[getattr(state, "value", state)] = n

    counts, planned_at = _plan_counts(campaign)
    closed = eligible = invited_share = None
    reasons: tuple[tuple[str, str, int], ...] = ()
    if counts is not None:
        closed = counts["closed"] - counts["filters"]
        eligible = closed - sum(counts[rule] for rule in EXCLUSIONS)
        invited_share = _share(counts["already_planned"] + counts["invited"], eligible)
        reasons = tuple((rule, RULES[rule], counts[rule]) for rule in _NOT_INVITED)
    stages = (
        Stage("closed", STAGES["closed"], closed, None),
        Stage("eligible", STAGES["eligible"], eligible, _share(eligible, closed)),
        Stage("invited", STAGES["invited"], invited, invited_share),
        Stage("delivered", STAGES["delivered"], delivered, _share(delivered, invited)),
        Stage("answered", STAGES["answered"], answered, _share(answered, delivered)),
    )
    window_start = planned_at - timedelta(days=campaign.max_age_days) if planned_at else None
    return Funnel(stages=stages, response_rate=wilson(answered, delivered), by_channel=by_channel,
                  by_language=by_language, reasons=reasons, states=states, planned_at=planned_at,
                  window_start=window_start)


def by_campaign(campaign_ids: Iterable[int]) -> dict[int, Breakdown]:
    """Invited, delivered and answered per campaign (every id gets a row, zeros when it has no invitation)."""
    ids = list(campaign_ids)
    totals = {cid: Breakdown(cid, 0, 0, 0) for cid in ids}
    if ids:
        totals.update((b.key, b) for b in _breakdowns(_totals(_I.c.campaign_id, where=_I.c.campaign_id.in_(ids))))
    return totals


def recent_invitations(campaign: Campaign, limit: int = 50) -> list[InvitationRow]:
    """The campaign's newest invitations with their request's source id; contact columns are never selected."""
    r = ServiceRequest.__table__
    query = (select(_I.c.id, r.c.source, r.c.source_id, _I.c.channel, _I.c.language, _I.c.state, _I.c.send_after,
                    _I.c.sent_at, _I.c.reminders_sent, _I.c.last_error)
             .select_from(_I.outerjoin(r, r.c.id == _I.c.service_request_id))
             .where(_I.c.campaign_id == campaign.id).order_by(_I.c.id.desc()).limit(limit))
    return [InvitationRow(*row[:5], getattr(row.state, "value", row.state), *row[6:])
            for row in db.session.execute(query)]

"""Synthetic survey activity for the demo: published templates and responses over the last 90 days."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from surveys.questions import DRIVERS
from vocapp.db import db, utcnow
from vocapp.models import Department, Invitation, InvitationState, Response, ResponseSource, Survey
from vocapp.services import responses as response_service
from vocapp.services import surveys as survey_service
from vocapp.tokens import hash_token, new_token

__all__ = ["load_demo_surveys", "TEMPLATE_NAMES"]

#: Survey names by template, as the demo shows them.
TEMPLATE_NAMES = {"post_service": "After your 311 request", "a11": "A-11 customer experience", "nps": "311 NPS"}

DAYS = 90
#: How well each demo department does, 0 (poorly) to 1 (very well): makes the comparison pages interesting.
QUALITY = {"STR": 0.55, "SAN": 0.7, "LI": 0.45, "WTR": 0.8}
LANGUAGE_MIX = [("en", 70), ("es", 16), ("zh-Hans", 4), ("vi", 3), ("ar", 2), ("ht", 2), ("ru", 2), ("ko", 1)]

POSITIVE = [
    "The crew came the next day and fixed it. Thank you!",
    "Fast and friendly service, the pothole is gone.",
    "Very happy, the missed pickup was collected the same afternoon.",
    "Clear updates by text message, great job.",
    "The inspector was polite and explained everything.",
]
NEGATIVE = [
    "They closed my ticket but nothing was fixed.",
    "Still waiting, the streetlight is out for three weeks now.",
    "I had to call three times before anyone came.",
    "Nobody told me what was happening with my request.",
    "The problem came back a week later, bigger now.",
    "Cerraron mi reporte pero el problema sigue igual.",
    "The man on the phone was rude and hung up on me.",
]
#: Comments of Spanish-speaking residents (others write in English in the demo).
SPANISH = {
    True: ["Muy rápido, gracias por arreglarlo.", "El equipo fue muy amable."],
    False: ["Cerraron mi reporte pero el problema sigue igual.", "Todavía estoy esperando una respuesta."],
}
NEUTRAL = [
    "The abandoned car was towed.",
    "Trash was picked up.",
    "It took about a week.",
    "Ok.",
]


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _rating(rng: random.Random, quality: float, low: int, high: int) -> int:
    """A rating skewed up by `quality` (a triangular draw around quality's point on the scale)."""
    mode = low + quality * (high - low)
    return max(low, min(high, round(rng.triangular(low, high, mode))))


def _answers(template: str, rng: random.Random, quality: float, language: str) -> dict:
    happy = rng.random() < quality
    comment = rng.random() < 0.45
    if language == "es":
        text = rng.choice(SPANISH[happy])
    else:
        text = rng.choice(POSITIVE if happy else NEGATIVE) if rng.random() < 0.85 else rng.choice(NEUTRAL)
    if template == "post_service":
        answers = {"csat": _rating(rng, quality, 1, 5), "fixed": "yes" if happy else rng.choice(["no", "partly"])}
        if rng.random() < 0.8:
            answers["ces"] = _rating(rng, quality, 1, 7)
    elif template == "a11":
        answers = {"trust": "agree" if happy else "disagree"}
        picked = sorted(rng.sample(DRIVERS[:-1], rng.randint(1, 3)), key=DRIVERS.index)
        answers["went_well" if happy else "went_wrong"] = picked
    else:
        answers = {"nps": _rating(rng, quality, 0, 10)}
        comment = comment and "nps_reason"
    if comment:
        answers["comment" if template != "nps" else "nps_reason"] = text
    return answers


def _populate(survey: Survey, rng: random.Random, quality: float, count: int) -> int:
    version = survey.live
    now = utcnow()
    for _ in range(count):
        sent = now - timedelta(days=rng.uniform(0, DAYS), minutes=rng.randint(0, 600))
        answered = sent + timedelta(hours=rng.uniform(0.2, 40))
        if answered > now:
            answered = now
        channel = rng.choice(["email", "email", "sms"])
        language = _weighted(rng, LANGUAGE_MIX)
        invitation = Invitation(
            survey_id=survey.id, survey_version_id=version.id, department_id=survey.department_id,
            token_hash=hash_token(new_token()), language=language, channel=channel,
            state=InvitationState.ANSWERED, created_at=sent, opened_at=answered, answered_at=answered,
        )
        db.session.add(invitation)
        db.session.flush()
        response_service.store_response(
            survey=survey, version=version, answers=_answers(survey.template, rng, quality, language),
            source=ResponseSource.INVITATION, channel=channel, language=language, invitation=invitation,
            submitted_at=answered,
        )
    # Invitations nobody answered, so response rates are realistic.
    for _ in range(count * 2):
        db.session.add(Invitation(
            survey_id=survey.id, survey_version_id=version.id, department_id=survey.department_id,
            token_hash=hash_token(new_token()), language=_weighted(rng, LANGUAGE_MIX),
            channel=rng.choice(["email", "sms"]), state=InvitationState.SENT,
            created_at=now - timedelta(days=rng.uniform(0, DAYS)),
        ))
    return count


def load_demo_surveys(seed: int = 311) -> int:
    """Publish the three templates for every demo department and add responses; returns responses added.

    Idempotent: a department's template survey is made once, and filled only while it has no responses.
    """
    added = 0
    for dept in db.session.scalars(select(Department).order_by(Department.code)):
        quality = QUALITY.get(dept.code, 0.6)
        for template, name in TEMPLATE_NAMES.items():
            survey = db.session.scalar(select(Survey).where(Survey.department_id == dept.id,
                                                            Survey.template == template))
            if survey is None:
                survey = survey_service.create_survey(None, department=dept, name=name, template=template,
                                                      actor_label="demo")
                survey_service.publish(None, survey)
                if template == "post_service":
                    survey_service.set_public_link(None, survey, True)
            has_responses = db.session.scalar(select(func.count()).select_from(Response)
                                              .where(Response.survey_id == survey.id))
            if not has_responses and survey.live is not None:
                rng = random.Random(f"{seed}-{dept.code}-{template}")
                added += _populate(survey, rng, quality, 60 if template == "post_service" else 30)
    db.session.flush()
    return added

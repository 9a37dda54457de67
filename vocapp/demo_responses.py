"""Synthetic survey activity for the demo: published templates and responses over the last 90 days.

Comments are varied and multilingual (English, Spanish, Chinese, Vietnamese, Korean, Russian, Arabic,
Haitian Creole, Tagalog, Bengali): thanks to the crew, tickets closed but not fixed, residents still
waiting or calling again, dangers, a few with contact details, and a recent complaint that grows into an
emerging theme, so the results pages show sentiment, flags and themes on first run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from surveys.questions import DRIVERS
from vocapp.db import db, utcnow
from vocapp.models import (
    Channel,
    Department,
    Invitation,
    InvitationState,
    RequestStatus,
    Response,
    ResponseSource,
    ServiceRequest,
    Survey,
)
from vocapp.services import responses as response_service
from vocapp.services import surveys as survey_service
from vocapp.tokens import hash_token, new_token

__all__ = ["load_demo_surveys", "comment_text", "TEMPLATE_NAMES"]

#: Survey names by template, as the demo shows them.
TEMPLATE_NAMES = {"post_service": "After your 311 request", "a11": "A-11 customer experience", "nps": "311 NPS"}

DAYS = 90
#: Responses per department and template.
RESPONSES = {"post_service": 150, "a11": 60, "nps": 60}
#: How well each demo department does, 0 (poorly) to 1 (very well): makes the comparison pages interesting.
QUALITY = {"STR": 0.55, "SAN": 0.7, "LI": 0.45, "WTR": 0.8}
LANGUAGE_MIX = [("en", 62), ("es", 18), ("zh-Hans", 4), ("vi", 3), ("ko", 3), ("ar", 2), ("ht", 2), ("ru", 2),
                ("tl", 2), ("zh-Hant", 1), ("bn", 1)]

# --- comments ------------------------------------------------------------------------------------
# English comments are about the request's service ({thing}); some close without a fix, some are still
# waiting, some thank the crew, some report a danger, a few carry contact details (masked on the pages).
# Other languages have their own sentences. The moods: "happy", "unhappy" and "neutral".

#: What residents call the thing they reported, by a word of the 311 service name (LA's request types).
THINGS = {
    "bulky": ["couch pickup", "bulky item pickup", "mattress pickup"],
    "dumping": ["illegal dumping", "pile of trash in the alley"],
    "appliance": ["old fridge", "appliance pickup"],
    "electronic": ["old TV", "e-waste pickup"],
    "encampment": ["encampment cleanup"],
    "animal": ["dead animal"],
    "graffiti": ["graffiti", "graffiti on the wall"],
    "streetlight": ["streetlight", "broken streetlight"],
    "water": ["water waste report", "broken sprinkler"],
}
#: Things of departments' requests without a service name (or of departments the demo city has none for).
DEPARTMENT_THINGS = {
    "STR": ["pothole", "broken streetlight", "cracked sidewalk"],
    "SAN": ["missed trash pickup", "bulky item pickup", "illegal dumping"],
    "LI": ["inspection", "permit inspection", "noise complaint"],
    "WTR": ["water leak", "low water pressure", "broken hydrant"],
}
ENGLISH = {
    "happy": [
        "The crew came the next day and took care of the {thing}. Thank you!",
        "Fast and friendly service, the {thing} was handled in two days.",
        "Thanks to the crew, they were very polite and cleaned up everything.",
        "Clear updates by text message about the {thing}, great job.",
        "Very happy with how quickly the {thing} was handled.",
        "The worker was kind and explained what would happen next.",
        "Great job, much better than last time I called about the {thing}.",
        "Thank you to the crew, the {thing} was done before the weekend.",
    ],
    "unhappy": [
        "They closed my ticket but the {thing} is still there.",
        "Request marked as completed but nobody ever came for the {thing}.",
        "It says closed, but the {thing} was not fixed.",
        "Still waiting, the {thing} has been there for three weeks now.",
        "I am still waiting for someone to come out about the {thing}.",
        "I had to call three times before anyone came about the {thing}.",
        "This is my second report about the same {thing}.",
        "Nobody told me what was happening with my request.",
        "The man on the phone was rude and hung up on me.",
        "The problem came back a week later.",
    ],
    "neutral": [
        "It took about a week.",
        "Someone came on Tuesday.",
        "I reported the {thing} online.",
        "The request was closed on Friday.",
        "Ok.",
    ],
}
#: Danger, by thing (and a fallback): unhappy comments that should raise the safety flag.
SAFETY = {
    "streetlight": "The street is completely dark at night without the streetlight, it is not safe to walk.",
    "encampment": "There are needles on the sidewalk near the encampment, it is dangerous for the kids.",
    "dumping": "The pile of trash blocks the sidewalk and people walk in the street, it is dangerous.",
    "bulky": "The mattress blocks the sidewalk, people in wheelchairs have to go into the street. Dangerous.",
    "pothole": "The pothole is huge, a cyclist almost fell yesterday, someone is going to get hurt.",
    "water": "Water from the leak made the sidewalk slippery and my neighbor slipped and fell.",
    None: "This is a safety hazard, kids walk past it every day on their way to school.",
}
#: Contact details some residents add (masked on the results pages).
CONTACT_NOTES = [
    " You can reach me at 213-555-0147 if you need more details.",
    " My name is Maria Lopez, email me at maria.lopez@example.org when it is done.",
    " I live at 1234 W Maple Ave, the problem is right in front of my house.",
]
#: In the last week the (fictional) new online booking form breaks: an emerging theme.
EMERGING_DAYS = 7
EMERGING = [
    "The new online booking form kept crashing, so frustrating, I had to call 311 instead.",
    "The online booking page is broken, it did not show any pickup dates.",
    "Could not finish the online booking, it froze on the last step. Terrible.",
    "Online booking is a mess now, the old way was better.",
]
#: Comments in residents' other languages, by mood.
OTHER_LANGUAGES = {
    "es": {
        "happy": ["Muy rápido, gracias por arreglarlo.", "El equipo fue muy amable y limpió todo.",
                  "Gracias a los trabajadores, hicieron un excelente trabajo.",
                  "Me avisaron por mensaje de texto, muy buen servicio.",
                  "Vinieron al día siguiente, muchas gracias.",
                  "Excelente servicio, la cuadrilla fue muy respetuosa.",
                  "Todo quedó limpio, estoy muy contenta con el servicio.",
                  "Gracias por recoger el sofá tan pronto."],
        "unhappy": ["Cerraron mi reporte pero el problema sigue igual.",
                    "Dicen que está resuelto pero nadie vino.",
                    "Todavía estoy esperando, ya pasaron tres semanas.",
                    "Sigo esperando que alguien venga a revisar.",
                    "Tuve que llamar tres veces antes de que alguien viniera.",
                    "La persona en el teléfono fue muy grosera conmigo.",
                    "Es peligroso, los niños pasan por ahí todos los días.",
                    "Nadie me dijo qué pasaba con mi solicitud."],
        "neutral": ["Vinieron el martes.", "Pasaron unos cinco días.", "Hice el reporte por teléfono."],
    },
    "zh-Hans": {
        "happy": ["工作人员第二天就来处理了，非常感谢！", "服务很快，态度也很好。", "谢谢清洁队，把垃圾都清理干净了。"],
        "unhappy": ["工单已经关闭了，但是问题根本没有解决。", "我还在等，已经三个星期了。", "打了三次电话才有人来。",
                    "路灯坏了，晚上很黑，很危险。"],
        "neutral": ["大概等了一个星期。"],
    },
    "zh-Hant": {
        "happy": ["工作人員很快就來了，謝謝！"],
        "unhappy": ["案件已經關閉，但問題還沒解決。", "我還在等，已經兩個星期了。"],
        "neutral": ["大約一個星期。"],
    },
    "vi": {
        "happy": ["Nhân viên đến rất nhanh, cảm ơn nhiều!", "Dịch vụ tốt, đội làm việc rất lịch sự."],
        "unhappy": ["Họ đã đóng yêu cầu nhưng vấn đề vẫn chưa được sửa.", "Tôi vẫn đang chờ, đã ba tuần rồi.",
                    "Rất nguy hiểm cho trẻ em đi học."],
        "neutral": ["Khoảng một tuần."],
    },
    "ko": {
        "happy": ["다음 날 바로 와서 처리해 주셨어요. 감사합니다!", "직원분들이 정말 친절했어요."],
        "unhappy": ["요청이 종료되었지만 문제는 그대로입니다.", "아직도 기다리고 있어요. 벌써 3주째입니다.",
                    "밤에 너무 어두워서 위험해요."],
        "neutral": ["일주일 정도 걸렸어요."],
    },
    "ru": {
        "happy": ["Бригада приехала на следующий день, спасибо!", "Быстро и вежливо, всё убрали."],
        "unhappy": ["Заявку закрыли, но ничего не исправили.", "Всё ещё жду, уже три недели."],
        "neutral": ["Заняло около недели."],
    },
    "ar": {
        "happy": ["شكراً للفريق، جاءوا بسرعة وكانوا لطفاء."],
        "unhappy": ["أغلقوا الطلب لكن المشكلة لم تُحل.", "ما زلت أنتظر منذ ثلاثة أسابيع."],
        "neutral": ["استغرق الأمر حوالي أسبوع."],
    },
    "ht": {
        "happy": ["Mèsi anpil, ekip la te vini byen vit."],
        "unhappy": ["Yo fèmen demann mwen an men pwoblèm nan toujou la.", "M ap tann toujou, sa fè twa semèn."],
        "neutral": ["Sa te pran yon semèn."],
    },
    "tl": {
        "happy": ["Salamat po, mabilis dumating ang crew."],
        "unhappy": ["Isinara nila ang request pero hindi pa rin naaayos.", "Naghihintay pa rin ako, tatlong linggo na."],
        "neutral": ["Mga isang linggo."],
    },
    "bn": {
        "happy": ["দল খুব দ্রুত এসেছিল, ধন্যবাদ!"],
        "unhappy": ["অনুরোধ বন্ধ করা হয়েছে কিন্তু সমস্যা এখনও আছে।"],
        "neutral": ["প্রায় এক সপ্তাহ লেগেছে।"],
    },
}


def _topic(service_name: str | None) -> str | None:
    """The THINGS key of a 311 service name ("Single Streetlight Issue" -> "streetlight")."""
    name = (service_name or "").lower()
    return next((key for key in THINGS if key in name), None)


def comment_text(rng: random.Random, mood: str, language: str, department: str, service_name: str | None,
                 recent: bool) -> str:
    """A resident's comment in `language` (English when the demo has none in it) about their request."""
    bank = OTHER_LANGUAGES.get(language)
    if bank is not None:
        return rng.choice(bank[mood])
    topic = _topic(service_name)
    thing = rng.choice(THINGS[topic] if topic else DEPARTMENT_THINGS.get(department, ["request"]))
    if recent and department == "SAN" and rng.random() < 0.85:
        text = rng.choice(EMERGING)
    elif mood == "unhappy" and rng.random() < 0.18:
        text = SAFETY.get(topic or ("pothole" if "pothole" in thing else None), SAFETY[None])
    else:
        text = rng.choice(ENGLISH[mood]).format(thing=thing)
    if rng.random() < 0.05:
        text += rng.choice(CONTACT_NOTES)
    return text


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _rating(rng: random.Random, quality: float, low: int, high: int) -> int:
    """A rating skewed up by `quality` (a triangular draw around quality's point on the scale)."""
    mode = low + quality * (high - low)
    return max(low, min(high, round(rng.triangular(low, high, mode))))


#: Kinds of request (service name, LA-style ward numbers) for departments the demo city has no requests of.
DEPARTMENT_SERVICES = {
    "STR": ["Pothole Repair", "Single Streetlight Issue", "Sidewalk Repair"],
    "SAN": ["Bulky Items", "Illegal Dumping Pickup", "Missed Collection"],
    "LI": ["Noise Complaint", "Building Inspection", "Permit Inspection"],
    "WTR": ["Water Leak", "Low Water Pressure", "Report Water Waste"],
}
WARDS = [f"CD {n}" for n in range(1, 16)]
#: Source of the demo's earlier requests (the ones residents answered surveys about).
HISTORY_SOURCE = "demo-history"


@dataclass(frozen=True)
class _Kind:
    """What a demo resident's request was about, copied from one of the demo city's requests."""

    service_code: str | None
    service_name: str | None
    agency: str | None
    channel: Channel
    ward: str | None
    zip: str | None
    language: str | None


def _request_kinds(department: Department, rng: random.Random) -> list[_Kind]:
    """Kinds of the department's demo city requests (as many as there are), else made-up ones."""
    rows = db.session.execute(
        select(ServiceRequest.service_code, ServiceRequest.service_name, ServiceRequest.agency,
               ServiceRequest.channel, ServiceRequest.ward, ServiceRequest.zip, ServiceRequest.language)
        .where(ServiceRequest.department_id == department.id, ServiceRequest.source != HISTORY_SOURCE)
        .order_by(ServiceRequest.id).limit(5000)).all()
    if rows:
        return [_Kind(*row) for row in rows]
    services = DEPARTMENT_SERVICES.get(department.code, ["Other"])
    return [_Kind(None, rng.choice(services), department.code, rng.choice([Channel.PHONE, Channel.WEB, Channel.APP]),
                  rng.choice(WARDS), None, None) for _ in range(200)]


def _history_request(department: Department, kind: _Kind, key: str, closed: datetime,
                     rng: random.Random) -> ServiceRequest:
    """An earlier request of the same kind, closed at `closed` (the survey went out after it closed)."""
    request = ServiceRequest(
        source=HISTORY_SOURCE, source_id=key, service_code=kind.service_code, service_name=kind.service_name,
        agency=kind.agency, department_id=department.id, channel=kind.channel, ward=kind.ward, zip=kind.zip,
        language=kind.language, status=RequestStatus.CLOSED, requested_at=closed - timedelta(days=rng.uniform(0.5, 12)),
        closed_at=closed, source_updated_at=closed, first_seen_at=closed, last_seen_at=closed,
    )
    db.session.add(request)
    return request


def _answers(template: str, rng: random.Random, quality: float, language: str, department: str,
             service_name: str | None, recent: bool) -> dict:
    happy = rng.random() < quality
    comment = rng.random() < 0.55
    mood = ("happy" if happy else "unhappy") if rng.random() < 0.85 else "neutral"
    text = comment_text(rng, mood, language, department, service_name, recent)
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
    if comment:
        answers["comment" if template != "nps" else "nps_reason"] = text
    return answers


def _populate(survey: Survey, rng: random.Random, quality: float, count: int, kinds: list[_Kind]) -> int:
    """`count` answered invitations, each about an earlier request of the department (its service, ward and
    language), plus twice as many unanswered ones."""
    version = survey.live
    now = utcnow()
    department = survey.department
    for i in range(count):
        # More residents answer lately (the programme is growing): a fifth of them in the last two weeks.
        days = rng.uniform(0, DAYS) if rng.random() < 0.8 else rng.uniform(0, 14)
        sent = now - timedelta(days=days, minutes=rng.randint(0, 600))
        answered = min(sent + timedelta(hours=rng.uniform(0.2, 40)), now)
        channel = rng.choice(["email", "email", "sms"])
        kind = rng.choice(kinds)
        request = _history_request(department, kind, f"{department.code}-{survey.template}-{i:04d}",
                                   sent - timedelta(minutes=rng.randint(30, 600)), rng)
        db.session.flush()
        language = kind.language or _weighted(rng, LANGUAGE_MIX)
        invitation = Invitation(
            survey_id=survey.id, survey_version_id=version.id, department_id=survey.department_id,
            token_hash=hash_token(new_token()), language=language, channel=channel,
            state=InvitationState.ANSWERED, created_at=sent, opened_at=answered, answered_at=answered,
            service_request_id=request.id, send_after=sent, sent_at=sent,
        )
        db.session.add(invitation)
        db.session.flush()
        recent = now - answered < timedelta(days=EMERGING_DAYS)
        answers = _answers(survey.template, rng, quality, language, department.code, kind.service_name, recent)
        response_service.store_response(
            survey=survey, version=version, answers=answers, source=ResponseSource.INVITATION, channel=channel,
            language=language, invitation=invitation, submitted_at=answered,
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


def load_demo_surveys(seed: int = 311, populate: bool = True) -> int:
    """Publish the three templates for every demo department and add responses; returns responses added.

    Each response answers an earlier request of the department (source "demo-history"), of a kind the demo
    city has (service, ward, the resident's language; made up for departments it has none of), so results
    can be sliced by service and ward; comments are in the resident's language and about the service.
    Idempotent: a department's template survey is made once, and filled only while it has no responses.
    `populate=False` only publishes the surveys.
    """
    added = 0
    for dept in db.session.scalars(select(Department).order_by(Department.code)):
        quality = QUALITY.get(dept.code, 0.6)
        kinds: list[_Kind] | None = None
        for template, name in TEMPLATE_NAMES.items():
            survey = db.session.scalar(select(Survey).where(Survey.department_id == dept.id,
                                                            Survey.template == template))
            if survey is None:
                survey = survey_service.create_survey(None, department=dept, name=name, template=template,
                                                      actor_label="demo")
                survey_service.publish(None, survey)
                if template == "post_service":
                    survey_service.set_public_link(None, survey, True)
            if not populate:
                continue
            has_responses = db.session.scalar(select(func.count()).select_from(Response)
                                              .where(Response.survey_id == survey.id))
            if not has_responses and survey.live is not None:
                rng = random.Random(f"{seed}-{dept.code}-{template}")
                if kinds is None:
                    kinds = _request_kinds(dept, random.Random(f"{seed}-{dept.code}"))
                added += _populate(survey, rng, quality, RESPONSES.get(template, 60), kinds)
    db.session.flush()
    return added

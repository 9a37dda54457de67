"""Residents answer from a one-time link: once, in their language, with clear errors."""

import threading

import pytest
from sqlalchemy import func, select

from vocapp.db import db, utcnow
from vocapp.models import Answer, Invitation, InvitationState, OptOut, Response, ResponseSource, Survey
from vocapp.services import surveys as design
from vocapp.tokens import hash_token

GOOD = {"csat": "4", "ces": "6", "fixed": "yes", "comment": "Crew was quick."}


def count(app, model=Response):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_link_shows_the_survey_in_the_invitation_language(client, link):
    page = client.get(f"/s/{link('post_service', 'es')}").get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in page
    assert "¿Se solucionó el problema?" in page or "problema" in page
    assert 'name="csrf_token"' in page


def test_arabic_and_urdu_pages_are_right_to_left(client, link):
    for lang in ("ar", "ur"):
        page = client.get(f"/s/{link('a11', lang)}").get_data(as_text=True)
        assert f'<html lang="{lang}" dir="rtl">' in page


def test_language_can_be_switched_on_the_page(client, link):
    token = link("post_service", "en")
    page = client.get(f"/s/{token}").get_data(as_text=True)
    assert f'href="/s/{token}?lang=vi"' in page
    assert '<html lang="vi" dir="ltr">' in client.get(f"/s/{token}?lang=vi").get_data(as_text=True)


def test_valid_answers_store_one_response_and_thank_the_resident(app, client, link):
    token = link()
    response = client.post(f"/s/{token}", data=GOOD)
    assert response.status_code == 200
    assert "What happens next" in response.get_data(as_text=True)
    with app.app_context():
        stored = db.session.scalars(select(Response)).one()
        assert stored.source == ResponseSource.TEST and stored.language == "en"
        assert {a.question_key: a.value for a in stored.answers} == {"csat": 4, "ces": 6, "fixed": "yes",
                                                                     "comment": "Crew was quick."}
        fixed = next(a for a in stored.answers if a.question_key == "fixed")
        assert fixed.number == 1.0
        invitation = db.session.scalars(select(Invitation)).one()
        assert invitation.state == InvitationState.ANSWERED and invitation.answered_at is not None


def test_second_submission_is_already_answered_and_stores_nothing(app, client, link):
    token = link()
    client.post(f"/s/{token}", data=GOOD)
    again = client.post(f"/s/{token}", data={**GOOD, "csat": "1"})
    assert again.status_code == 409
    assert "already answered" in again.get_data(as_text=True)
    assert count(app) == 1
    assert "already answered" in client.get(f"/s/{token}").get_data(as_text=True)


def test_two_tabs_submitting_at_once_store_exactly_one_response(app, link):
    token = link()
    barrier = threading.Barrier(4)
    statuses = []

    def submit():
        barrier.wait()
        statuses.append(app.test_client().post(f"/s/{token}", data=GOOD).status_code)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert count(app) == 1


@pytest.mark.parametrize(("data", "message"), [
    ({**GOOD, "csat": "9"}, "Choose a number from 1 to 5."),
    ({**GOOD, "csat": ""}, "Please answer this question."),
    ({**GOOD, "fixed": "maybe"}, "Choose one of the answers shown."),
    ({**GOOD, "comment": "x" * 1_000_000}, "Please shorten your answer to 4000 characters"),
])
def test_bad_answers_are_explained_next_to_the_question_and_nothing_is_stored(app, client, link, data, message):
    token = link()
    response = client.post(f"/s/{token}", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body
    assert 'class="error-summary"' in body and 'href="#q-' in body
    assert count(app) == 0
    # what the resident typed is kept
    if data["comment"] == "Crew was quick.":
        assert "Crew was quick." in body


def test_errors_come_in_the_residents_language(client, link):
    token = link("post_service", "es")
    body = client.post(f"/s/{token}", data={"csat": "", "fixed": "yes"}).get_data(as_text=True)
    assert "Please answer this question." not in body  # translated, not English


def test_markup_in_free_text_is_stored_as_text_and_never_rendered(app, client, link):
    token = link()
    payload = '<script>alert("x")</script><b>bold</b>'
    client.post(f"/s/{token}", data={**GOOD, "comment": payload})
    with app.app_context():
        assert db.session.scalar(select(Answer.text).where(Answer.question_key == "comment")) == payload
    # and an error page echoing it escapes it
    other = link()
    body = client.post(f"/s/{other}", data={**GOOD, "csat": "", "comment": payload}).get_data(as_text=True)
    assert "<script>alert" not in body and "&lt;script&gt;" in body


def test_unknown_and_tampered_tokens_get_a_friendly_page_that_reveals_nothing(client, link):
    token = link()
    for bad in ("nope", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 40, "%00" * 3):
        response = client.get(f"/s/{bad}")
        assert response.status_code == 404
        body = response.get_data(as_text=True)
        assert "This link does not work" in body
        assert "Streets" not in body


def test_expired_links_are_closed(app, client, link):
    token = link()
    with app.app_context():
        inv = db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
        inv.expires_at = utcnow()
        db.session.commit()
    assert client.get(f"/s/{token}").status_code == 410
    assert client.post(f"/s/{token}", data=GOOD).status_code == 410
    assert count(app) == 0


def test_archived_survey_takes_no_more_answers(app, client, link):
    token = link()
    with app.app_context():
        design.archive(None, db.session.scalars(select(Survey)).one())
        db.session.commit()
    assert client.post(f"/s/{token}", data=GOOD).status_code == 410


def test_tokens_are_stored_only_as_hashes_with_enough_entropy(app, link):
    token = link()
    assert len(token) >= 22  # >= 128 bits in URL-safe base64
    with app.app_context():
        inv = db.session.scalars(select(Invitation)).one()
        assert inv.token_hash == hash_token(token) and token not in inv.token_hash


def test_honeypot_submissions_look_successful_but_store_nothing(app, client, link):
    response = client.post(f"/s/{link()}", data={**GOOD, "website": "http://spam.example"})
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    assert count(app) == 0


@pytest.mark.csrf
def test_missing_csrf_keeps_the_answers_and_asks_to_send_again(app, client, link):
    token = link()
    response = client.post(f"/s/{token}", data=GOOD)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "please press Send again" in body and "Crew was quick." in body
    assert count(app) == 0


@pytest.mark.ratelimit
def test_submissions_are_rate_limited_per_ip(app, client, link):
    app.config["RESIDENT_RATE_LIMIT"] = "3 per minute"
    token = link()
    statuses = [client.post(f"/s/{token}", data={"csat": "99"}).status_code for _ in range(4)]
    assert statuses == [422, 422, 422, 429]


def test_conditional_questions_say_when_they_apply(client, link):
    page = client.get(f"/s/{link('a11')}").get_data(as_text=True)
    assert "Answer this if you chose “Agree” above." in page
    assert 'data-show-if=' in page


def test_a11_answers_keep_only_the_branch_that_applies(app, client, link):
    token = link("a11")
    response = client.post(f"/s/{token}", data={"trust": "disagree", "went_well": ["ease"],
                                                 "went_wrong": ["efficiency", "transparency"]})
    assert response.status_code == 200
    with app.app_context():
        answers = {a.question_key: a.value for a in db.session.scalars(select(Answer))}
    assert answers == {"trust": "disagree", "went_wrong": ["efficiency", "transparency"]}


def test_page_is_accessible_by_structure(client, link):
    page = client.get(f"/s/{link('post_service')}").get_data(as_text=True)
    assert page.count("<fieldset") == 3 and page.count("<legend") == 3
    assert '<label class="question-text" for="q-comment-first">' in page
    assert 'href="#main"' in page
    assert 'name="viewport"' in page


def test_unsubscribe_asks_first_then_records_the_opt_out(app, client, link):
    token = link("post_service", "fr")
    page = client.get(f"/s/{token}/unsubscribe")
    assert page.status_code == 200 and '<html lang="fr"' in page.get_data(as_text=True)
    assert count(app, OptOut) == 0
    assert client.post(f"/s/{token}/unsubscribe").status_code == 200
    assert client.post(f"/s/{token}/unsubscribe").status_code == 200  # idempotent
    assert count(app, OptOut) == 1
    with app.app_context():
        assert db.session.scalars(select(Invitation)).one().state == InvitationState.OPTED_OUT
    assert client.get("/s/not-a-real-token-at-all/unsubscribe").status_code == 404

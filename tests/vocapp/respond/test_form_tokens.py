"""Resident forms carry a cookie-free token bound to their link and to time."""

import re
import time

import pytest
from sqlalchemy import func, select

from tests.vocapp.respond.test_answering import GOOD
from vocapp.db import db
from vocapp.models import OptOut, Response

pytestmark = pytest.mark.csrf


def form_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def test_resident_pages_set_no_cookie(client, link):
    token = link()
    for path in (f"/s/{token}", f"/s/{token}/unsubscribe"):
        response = client.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers


def test_the_token_from_the_page_lets_the_answers_in_without_a_cookie(app, client, link):
    token = link()
    page = client.get(f"/s/{token}").get_data(as_text=True)
    response = app.test_client().post(f"/s/{token}", data={**GOOD, "csrf_token": form_token(page)})
    assert response.status_code == 200 and "Thank you" in response.get_data(as_text=True)
    assert stored(app) == 1


def test_a_token_from_another_link_is_refused_and_the_answers_kept(app, client, link):
    mine, other = link(), link()
    stolen = form_token(client.get(f"/s/{other}").get_data(as_text=True))
    response = client.post(f"/s/{mine}", data={**GOOD, "csrf_token": stolen})
    assert response.status_code == 400 and "Crew was quick." in response.get_data(as_text=True)
    assert stored(app) == 0


@pytest.mark.parametrize("value", ["", "zz.abc", "65f0a1b2.0123456789abcdef0123456789abcdef"])
def test_forged_tokens_are_refused(app, client, link, value):
    response = client.post(f"/s/{link()}", data={**GOOD, "csrf_token": value})
    assert response.status_code == 400
    assert stored(app) == 0


def test_an_old_page_asks_to_send_again_with_a_fresh_token(app, client, link, monkeypatch):
    token = link()
    page = client.get(f"/s/{token}").get_data(as_text=True)
    later = time.time() + app.config["WTF_CSRF_TIME_LIMIT"] + 1
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(f"/s/{token}", data={**GOOD, "csrf_token": form_token(page)})
    again = response.get_data(as_text=True)
    assert response.status_code == 400 and "please press Send again" in again
    assert form_token(again) != form_token(page)
    response = client.post(f"/s/{token}", data={**GOOD, "csrf_token": form_token(again)})
    assert response.status_code == 200 and stored(app) == 1


def test_unsubscribing_needs_the_page_token(app, client, link):
    token = link()
    assert client.post(f"/s/{token}/unsubscribe", data={"csrf_token": "nope"}).status_code == 400
    page = client.get(f"/s/{token}/unsubscribe").get_data(as_text=True)
    response = client.post(f"/s/{token}/unsubscribe", data={"csrf_token": form_token(page)})
    assert response.status_code == 200


def test_a_new_secret_key_invalidates_earlier_tokens(app, client, link):
    token = link()
    value = form_token(client.get(f"/s/{token}").get_data(as_text=True))
    app.config["SECRET_KEY"] = "rotated" * 8
    assert client.post(f"/s/{token}", data={**GOOD, "csrf_token": value}).status_code == 400


def test_one_click_unsubscribe_from_a_mail_client_needs_no_form_token(app, client, link):
    token = link()
    response = client.post(f"/s/{token}/unsubscribe", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OptOut)) == 1

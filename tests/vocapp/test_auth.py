"""Signing in and out: credentials, lock-out, rate limit, CSRF, redirects, session invalidation."""

from datetime import timedelta

import pytest

from tests.conftest import TEST_PASSWORD, csrf_token
from vocapp.db import db, utcnow
from vocapp.models import AuditEntry, User


def email_of(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).email


def user(app, user_id):
    with app.app_context():
        u = db.session.get(User, user_id)
        db.session.expunge(u)
        return u


def sign_in(client, email, password=TEST_PASSWORD, **query):
    return client.post("/login", data={"email": email, "password": password}, query_string=query)


def test_correct_credentials_sign_in_and_open_home(app, client, make_user):
    uid = make_user("admin")
    response = sign_in(client, email_of(app, uid))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Welcome, Test admin" in client.get("/").get_data(as_text=True)
    assert user(app, uid).last_login_at is not None


def test_email_is_case_insensitive(app, client, make_user):
    uid = make_user("admin")
    assert sign_in(client, email_of(app, uid).upper()).status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_message(app, client, make_user):
    uid = make_user("admin")
    wrong = sign_in(client, email_of(app, uid), "not the password at all")
    unknown = sign_in(client, "nobody@city.example")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "The email or password is not right." in response.get_data(as_text=True)
    assert user(app, uid).failed_logins == 1
    assert client.get("/").status_code == 302  # still signed out


def test_disabled_user_cannot_sign_in(app, client, make_user):
    uid = make_user("viewer", ("STR",), active=False)
    response = sign_in(client, email_of(app, uid))
    assert response.status_code == 403
    assert "This account is disabled" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_repeated_failures_lock_the_account_even_for_the_right_password(app, client, make_user):
    uid = make_user("dcxo", ("STR",))
    email = email_of(app, uid)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert sign_in(client, email, "wrong password 123").status_code == 401
    locked = sign_in(client, email, "wrong password 123")
    assert locked.status_code == 401 and "locked" in locked.get_data(as_text=True)
    assert sign_in(client, email).status_code == 401  # right password, still locked
    u = user(app, uid)
    assert u.locked_until > utcnow() + timedelta(minutes=14)
    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(action="user.locked", object_id=str(uid)).count() == 1


def test_lock_expires_after_the_lockout_period(app, client, make_user):
    uid = make_user("dcxo", ("STR",))
    with app.app_context():
        db.session.get(User, uid).locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert sign_in(client, email_of(app, uid)).status_code == 302


def test_admin_unlocks_a_locked_account(app, client, make_user, login_as):
    uid = make_user("dcxo", ("STR",))
    with app.app_context():
        db.session.get(User, uid).locked_until = utcnow() + timedelta(minutes=10)
        db.session.commit()
    login_as("admin")
    assert "Locked after repeated failed sign-ins" in client.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert client.post(f"/admin/users/{uid}/unlock").status_code == 302
    assert user(app, uid).locked_until is None


def test_successful_sign_in_resets_the_failure_count(app, client, make_user):
    uid = make_user("admin")
    email = email_of(app, uid)
    sign_in(client, email, "wrong password 123")
    sign_in(client, email)
    assert user(app, uid).failed_logins == 0


@pytest.mark.parametrize("target", ["/departments/", "/audit/?type=user"])
def test_sign_in_returns_to_the_page_asked_for(app, client, make_user, target):
    uid = make_user("admin")
    assert client.get(target).headers["Location"].startswith("/login?next=")
    response = sign_in(client, email_of(app, uid), next=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(app, client, make_user, target):
    uid = make_user("admin")
    response = sign_in(client, email_of(app, uid), next=target)
    assert response.headers["Location"] == "/"


def test_blank_form_is_a_form_error_not_a_crash(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)


def test_sign_out_needs_post_and_ends_the_session(app, client, login_as):
    login_as("viewer", ("STR",))
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_password_change_keeps_this_session_and_ends_the_others(app, make_user):
    uid = make_user("dcxo", ("STR",))
    email = email_of(app, uid)
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, email)
    sign_in(elsewhere, email)
    new = "a much better passphrase"
    response = here.post("/account/password", data={"current": TEST_PASSWORD, "new": new, "confirm": new})
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302
    assert sign_in(app.test_client(), email, new).status_code == 302


def test_password_change_refuses_wrong_current_password_and_short_passwords(app, client, login_as):
    uid = login_as("viewer", ("STR",))
    before = user(app, uid).password_hash
    wrong = client.post("/account/password", data={"current": "nope", "new": "x" * 20, "confirm": "x" * 20})
    assert wrong.status_code == 400 and "not your current password" in wrong.get_data(as_text=True)
    short = client.post("/account/password", data={"current": TEST_PASSWORD, "new": "short", "confirm": "short"})
    assert short.status_code == 400 and "at least 12 characters" in short.get_data(as_text=True)
    assert user(app, uid).password_hash == before


def test_disabling_a_user_ends_their_session(app, client, make_user, login_as, departments):
    victim = make_user("viewer", ("STR",))
    other = app.test_client()
    sign_in(other, email_of(app, victim))
    assert other.get("/").status_code == 200
    login_as("admin")
    response = client.post(f"/admin/users/{victim}", data={
        "name": "Test viewer", "email": email_of(app, victim), "role": "viewer", "departments": [departments["STR"]]})
    assert response.status_code == 302
    assert user(app, victim).active is False
    assert other.get("/").status_code == 302


@pytest.mark.csrf
def test_sign_in_without_csrf_token_is_refused_and_changes_nothing(app, client, make_user):
    uid = make_user("admin")
    response = sign_in(client, email_of(app, uid), "wrong password 123")
    assert response.status_code == 400
    assert "nothing was changed" in response.get_data(as_text=True)
    assert user(app, uid).failed_logins == 0


@pytest.mark.csrf
def test_sign_in_with_csrf_token_works(app, client, make_user):
    uid = make_user("admin")
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": email_of(app, uid), "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.ratelimit
def test_sign_in_attempts_are_rate_limited_per_ip(app, client):
    statuses = [sign_in(client, "nobody@city.example", "whatever password").status_code for _ in range(11)]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    assert client.get("/login").status_code == 200  # only POSTs count


def test_production_hash_is_scrypt(app):
    from vocapp.services.users import hash_password

    app.config["PASSWORD_HASH_METHOD"] = "scrypt:32768:8:1"
    with app.app_context():
        assert hash_password("some long password").startswith("scrypt:32768:8:1$")

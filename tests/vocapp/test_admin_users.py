"""The CX office manages staff accounts; every change lands in the audit log."""

import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_PASSWORD
from vocapp.db import db
from vocapp.models import AuditEntry, Role, User


def form(**over):
    data = {"name": "Rosa Parks", "email": "rosa@city.example", "role": "dcxo", "active": "y",
            "password": "a long enough password"}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def count_users(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_admin_creates_a_dcxo_for_a_department(app, client, login_as, departments):
    admin = login_as("admin")
    response = client.post("/admin/users/new", data=form(departments=[departments["STR"]]))
    assert response.status_code == 302
    with app.app_context():
        rosa = db.session.scalar(select(User).where(User.email == "rosa@city.example"))
        assert rosa.role == Role.DCXO and [d.code for d in rosa.departments] == ["STR"]
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.create", AuditEntry.object_label == rosa.email))
        assert entry.actor_id == admin and entry.object_id == str(rosa.id)
        assert entry.changes["departments"] == [None, ["STR"]]
        assert "password" not in entry.changes
    # the new DCXO can sign in and sees only Streets
    other = app.test_client()
    assert other.post("/login", data={"email": "rosa@city.example", "password": "a long enough password"}).status_code == 302
    page = other.get("/departments/").get_data(as_text=True)
    assert "Streets" in page and "Water" not in page


@pytest.mark.parametrize(("override", "message"), [
    ({"email": "not-an-email"}, "email"),
    ({"departments": None}, "Choose at least one department"),
    ({"password": "short"}, "at least 12 characters"),
    ({"password": "rosa-rosa-rosa-123"}, "must not contain the email"),
    ({"name": "   "}, "name"),
    ({"role": "superuser"}, "Not a valid choice"),
])
def test_bad_user_input_is_explained_and_creates_nothing(app, client, login_as, departments, override, message):
    login_as("admin")
    before = count_users(app)
    data = form(departments=[departments["STR"]])
    data.update({k: v for k, v in override.items() if v is not None})
    for k, v in override.items():
        if v is None:
            data.pop(k)
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert count_users(app) == before


def test_duplicate_email_is_refused_whatever_the_case(app, client, login_as, make_user, departments):
    make_user("viewer", ("STR",), email="taken@city.example")
    login_as("admin")
    response = client.post("/admin/users/new", data=form(email="TAKEN@city.example", departments=[departments["STR"]]))
    assert response.status_code == 400
    assert "Another account already uses this email" in response.get_data(as_text=True)


def test_admin_changes_role_and_departments_and_the_log_shows_old_and_new(app, client, login_as, make_user, departments):
    login_as("admin")
    uid = make_user("viewer", ("STR",), email="val@city.example")
    response = client.post(f"/admin/users/{uid}", data={
        "name": "Val", "email": "val@city.example", "role": "dcxo", "active": "y",
        "departments": [departments["STR"], departments["WTR"]]})
    assert response.status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.update"))
        assert entry.changes["role"] == ["viewer", "dcxo"]
        assert entry.changes["departments"] == [["STR"], ["STR", "WTR"]]
        assert entry.changes["name"] == ["Test viewer", "Val"]


def test_citywide_roles_drop_department_assignments(app, client, login_as, make_user, departments):
    login_as("admin")
    uid = make_user("dcxo", ("STR",), email="lead@city.example")
    client.post(f"/admin/users/{uid}", data={"name": "L", "email": "lead@city.example", "role": "program_lead",
                                             "active": "y", "departments": [departments["STR"]]})
    with app.app_context():
        assert db.session.get(User, uid).departments == []


def test_the_last_active_admin_cannot_be_demoted_or_disabled(app, client, login_as):
    admin = login_as("admin")
    with app.app_context():
        email = db.session.get(User, admin).email
    for data in ({"role": "program_lead", "active": "y"}, {"role": "admin"}):
        response = client.post(f"/admin/users/{admin}", data={"name": "Me", "email": email, **data})
        assert response.status_code == 400
        assert "last active admin" in response.get_data(as_text=True)
    with app.app_context():
        me = db.session.get(User, admin)
        assert me.role == Role.ADMIN and me.active and me.name == "Test admin"


def test_admin_sets_a_new_password_for_someone(app, client, login_as, make_user):
    login_as("admin")
    uid = make_user("viewer", ("STR",), email="forgot@city.example")
    response = client.post(f"/admin/users/{uid}/password",
                           data={"pw-password": "fresh password 2026", "pw-confirm": "fresh password 2026"})
    assert response.status_code == 302
    fresh = app.test_client()
    assert fresh.post("/login", data={"email": "forgot@city.example", "password": TEST_PASSWORD}).status_code == 401
    assert fresh.post("/login", data={"email": "forgot@city.example", "password": "fresh password 2026"}).status_code == 302
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password"))
        assert entry.changes == {"password": "(changed)"}


def test_mismatched_passwords_are_refused(app, client, login_as, make_user):
    login_as("admin")
    uid = make_user("viewer", ("STR",))
    response = client.post(f"/admin/users/{uid}/password",
                           data={"pw-password": "fresh password 2026", "pw-confirm": "other password 2026"})
    assert response.status_code == 400 and "The two passwords differ" in response.get_data(as_text=True)


def test_user_list_filters_by_role_and_search(app, client, login_as, make_user):
    login_as("admin")
    make_user("viewer", ("STR",), email="alpha@city.example")
    make_user("dcxo", ("WTR",), email="beta@city.example")
    page = client.get("/admin/users?role=dcxo").get_data(as_text=True)
    assert "beta@city.example" in page and "alpha@city.example" not in page
    page = client.get("/admin/users?q=ALPHA").get_data(as_text=True)
    assert "alpha@city.example" in page and "beta@city.example" not in page


def test_unknown_user_is_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/users/9999").status_code == 404

"""Departments: admins create and edit them; everyone else sees only their scope."""

from sqlalchemy import func, select

from vocapp.db import db
from vocapp.models import AuditEntry, Department


def dept_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Department))


def test_admin_creates_a_department_and_it_is_audited(app, client, login_as):
    admin = login_as("admin")
    response = client.post("/departments/new", data={"code": "li", "name": "Licenses &  Inspections"})
    assert response.status_code == 302
    with app.app_context():
        dept = db.session.scalar(select(Department).where(Department.code == "LI"))
        assert dept.name == "Licenses & Inspections" and dept.active
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "department.create", AuditEntry.department_id == dept.id))
        assert entry.actor_id == admin and entry.department_id == dept.id
    assert "Licenses &amp; Inspections" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_duplicate_code_or_name_is_refused(app, client, login_as, departments):
    login_as("admin")
    before = dept_count(app)
    for data, message in (({"code": "str", "name": "Other"}, "already has this code"),
                          ({"code": "OTH", "name": "streets"}, "already has this name"),
                          ({"code": "bad code!", "name": "Odd"}, "Use 1-20 letters")):
        response = client.post("/departments/new", data=data)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert dept_count(app) == before


def test_admin_renames_and_deactivates_a_department(app, client, login_as, departments):
    login_as("admin")
    response = client.post(f"/departments/{departments['WTR']}/edit", data={"code": "WTR", "name": "Water Bureau"})
    assert response.status_code == 302
    with app.app_context():
        dept = db.session.get(Department, departments["WTR"])
        assert dept.name == "Water Bureau" and dept.active is False
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "department.update"))
        assert entry.changes == {"name": ["Water", "Water Bureau"], "active": [True, False]}


def test_editing_with_no_change_writes_no_audit_entry(app, client, login_as, departments):
    login_as("admin")
    client.post(f"/departments/{departments['WTR']}/edit", data={"code": "WTR", "name": "Water", "active": "y"})
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "department.update")) == 0


def test_dcxo_lists_only_their_departments_and_their_people(app, client, login_as, make_user, departments):
    make_user("dcxo", ("WTR",), email="water.dcxo@city.example")
    login_as("dcxo", ("STR",))
    page = client.get("/departments/").get_data(as_text=True)
    assert "Streets" in page and "Water" not in page
    assert "water.dcxo@city.example" not in client.get(f"/departments/{departments['STR']}").get_data(as_text=True)
    assert client.get(f"/departments/{departments['WTR']}").status_code == 404


def test_department_page_lists_its_dcxos(app, client, login_as, make_user, departments):
    make_user("dcxo", ("WTR",), email="water.dcxo@city.example")
    login_as("program_lead")
    page = client.get(f"/departments/{departments['WTR']}").get_data(as_text=True)
    assert "water.dcxo@city.example" in page
    listing = client.get("/departments/").get_data(as_text=True)
    assert "Test dcxo" in listing


def test_unknown_department_is_404_for_everyone(client, login_as):
    login_as("admin")
    assert client.get("/departments/999").status_code == 404
    assert client.get("/departments/999/edit").status_code == 404

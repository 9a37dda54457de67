"""The audit log page: what it shows, to whom, filtered how."""

from vocapp.db import db
from vocapp.models import Department
from vocapp.services.departments import update_department


def test_admin_reads_every_change_newest_first(app, client, login_as, departments):
    login_as("admin")
    client.post("/departments/new", data={"code": "SAN", "name": "Sanitation"})
    page = client.get("/audit/").get_data(as_text=True)
    assert page.index("Sanitation") < page.index("Streets")  # newest first
    assert "department.create" in page and "user.create" in page


def test_dcxo_reads_only_their_departments_changes(app, client, login_as, departments):
    with app.app_context():
        update_department(None, db.session.get(Department, departments["WTR"]), code="WTR", name="Water Bureau",
                          active=True)
        update_department(None, db.session.get(Department, departments["STR"]), code="STR", name="Street Services",
                          active=True)
        db.session.commit()
    login_as("dcxo", ("STR",))
    page = client.get("/audit/").get_data(as_text=True)
    assert "Street Services" in page
    assert "Water Bureau" not in page
    assert "user.create" not in page  # account changes are the CX office's business
    # asking for another department's entries by filter still shows nothing of it
    assert "Water Bureau" not in client.get(f"/audit/?department={departments['WTR']}").get_data(as_text=True)


def test_filters_by_object_type_and_actor(app, client, login_as, departments):
    login_as("admin")
    client.post("/departments/new", data={"code": "SAN", "name": "Sanitation"})
    page = client.get("/audit/?type=user").get_data(as_text=True)
    assert "department.create" not in page and "user.create" in page
    page = client.get("/audit/?actor=nobody-like-this").get_data(as_text=True)
    assert "No changes recorded yet" in page


def test_bad_filter_values_are_ignored_not_errors(client, login_as):
    login_as("admin")
    assert client.get("/audit/?department=abc&page=-3&type=nonsense").status_code == 200
    assert client.get("/audit/?type=%00").status_code == 400


def test_entries_record_the_client_ip(app, client, login_as):
    login_as("admin")
    client.post("/departments/new", data={"code": "SAN", "name": "Sanitation"},
                environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert "203.0.113.7" in client.get("/audit/").get_data(as_text=True)


def test_changes_to_one_account_and_readable_values(app, client, login_as, make_user, departments):
    login_as("admin")
    uid = make_user("viewer", ("STR", "WTR"), email="one@city.example")
    make_user("viewer", ("STR",), email="two@city.example")
    page = client.get(f"/audit/?type=user&object={uid}").get_data(as_text=True)
    assert "one@city.example" in page and "two@city.example" not in page
    assert "STR, WTR" in page and "[&#39;STR&#39;" not in page

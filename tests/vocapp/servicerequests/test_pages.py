"""Request pages: imported requests by department with filters, never a contact detail; imports and rejects."""

import re
from datetime import timedelta

import pytest

from tests.vocapp.campaigns.conftest import NOW, request
from vocapp.db import db
from vocapp.models import Channel, ImportRun, RejectedRow, RequestStatus

ALLOWED, LOGIN = 200, 302


def source_ids(html: str) -> list[str]:
    """The request ids listed, in page order."""
    return re.findall(r"<td>(SR-\d+)<br>", html)


@pytest.fixture()
def import_run(app) -> int:
    """A finished CSV import with one rejected row whose text holds a resident's email."""
    with app.app_context():
        run = ImportRun(kind="open311", target="https://user:pw@311.city.example/requests.json?api_key=SECRET",
                        status="done", rows_read=3, rows_stored=2, rows_rejected=1)
        run.rejects.append(RejectedRow(line=7, source_id="SR-77", reason="closed before it was requested",
                                       raw="SR-77,POTHOLE,jane.doe@example.org"))
        db.session.add(run)
        db.session.commit()
        return run.id


PAGES = {"requests": "/requests/", "imports": "/requests/imports", "import run": "/requests/imports/{run}"}


@pytest.mark.parametrize(("role", "page"), [
    pytest.param(role, page, id=f"{role or 'anonymous'}-{page}")
    for page in PAGES for role in ("admin", "dcxo", "program_lead", "viewer", None)
])
def test_every_staff_role_reads_the_request_pages(client, login_as, import_run, role, page):
    if role:
        login_as(role, ("STR",) if role in ("dcxo", "viewer") else ())
    response = client.get(PAGES[page].format(run=import_run))
    assert response.status_code == (ALLOWED if role else LOGIN)


def test_the_request_menu_entry_is_there_for_every_role(client, login_as):
    login_as("viewer", ("STR",))
    assert 'href="/requests/">Requests</a>' in client.get("/").get_data(as_text=True)


def test_contact_details_are_never_shown_only_that_they_are_on_file(client, login_as, add_requests):
    add_requests(request(1, contact_phone="(213) 555-0142"), request(2, contact_email=None))
    login_as("admin")
    html = client.get("/requests/").get_data(as_text=True)
    assert "resident1@example.org" not in html and "@example.org" not in html
    assert "555" not in html and "0142" not in html
    assert "email on file" in html and "phone on file" in html


def test_a_dcxo_sees_their_departments_and_admins_also_the_unmapped(client, login_as, add_requests):
    add_requests(request(1), request(2, agency="WTR"), request(3, agency="NOBODY"))
    login_as("dcxo", ("STR",))
    assert source_ids(client.get("/requests/").get_data(as_text=True)) == ["SR-1"]
    assert client.get("/requests/?department=unmapped").status_code == 400
    client.post("/logout")
    login_as("program_lead")
    assert sorted(source_ids(client.get("/requests/").get_data(as_text=True))) == ["SR-1", "SR-2"]
    client.post("/logout")
    login_as("admin")
    assert sorted(source_ids(client.get("/requests/").get_data(as_text=True))) == ["SR-1", "SR-2", "SR-3"]
    assert source_ids(client.get("/requests/?department=unmapped").get_data(as_text=True)) == ["SR-3"]


def test_newest_closed_first_and_open_ones_last(client, login_as, add_requests):
    add_requests(request(1, closed_at=NOW - timedelta(days=3)), request(2, closed_at=NOW - timedelta(hours=1)),
                 request(3, status=RequestStatus.OPEN, closed_at=None))
    login_as("viewer", ("STR",))
    assert source_ids(client.get("/requests/").get_data(as_text=True)) == ["SR-2", "SR-1", "SR-3"]


@pytest.mark.parametrize(("query", "expected"), [
    ("status=cancelled", ["SR-2"]),
    ("channel=web", ["SR-3"]),
    ("service_code=GRAFFITI", ["SR-4"]),
    ("ward=9", ["SR-4"]),
    ("closed_from=2026-11-17&closed_to=2026-11-17", ["SR-5"]),
    ("closed_to=2026-11-16", ["SR-6"]),
    ("status=closed&channel=phone&ward=1", ["SR-1", "SR-5", "SR-6"]),
])
def test_filters_narrow_the_list(client, login_as, add_requests, departments, query, expected):
    add_requests(
        request(1), request(2, status=RequestStatus.CANCELLED), request(3, channel=Channel.WEB),
        request(4, service_code="GRAFFITI", ward="9"),
        request(5, closed_at=NOW - timedelta(days=3)),  # 2026-11-17 (UTC)
        request(6, closed_at=NOW - timedelta(days=10), requested_at=NOW - timedelta(days=11)),
    )
    login_as("dcxo", ("STR",))
    html = client.get(f"/requests/?{query}").get_data(as_text=True)
    assert sorted(source_ids(html)) == expected
    assert f"{len(expected)} request{'' if len(expected) == 1 else 's'} matching the filters" in html


@pytest.mark.parametrize(("query", "message"), [
    ("closed_from=17/11/2026", "YYYY-MM-DD"),
    ("closed_from=2026-11-17&closed_to=2026-11-01", "before the start date"),
    ("status=lost", "Choose a status"),
])
def test_unusable_filters_are_explained(client, login_as, query, message):
    login_as("viewer", ("STR",))
    response = client.get(f"/requests/?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_long_lists_are_paged_keeping_the_filters(client, login_as, add_requests):
    add_requests(*[request(i, closed_at=NOW - timedelta(minutes=i)) for i in range(60)])
    login_as("viewer", ("STR",))
    first = client.get("/requests/?status=closed").get_data(as_text=True)
    assert len(source_ids(first)) == 50 and "60 requests" in first
    assert 'href="/requests/?page=2&amp;status=closed"' in first
    second = client.get("/requests/?status=closed&page=2").get_data(as_text=True)
    assert source_ids(second) == [f"SR-{i}" for i in range(50, 60)]


def test_imports_list_their_counts_without_secrets(client, login_as, import_run):
    login_as("viewer", ("STR",))
    html = client.get("/requests/imports").get_data(as_text=True)
    assert "https://311.city.example/requests.json" in html
    assert "SECRET" not in html and "user:pw" not in html
    assert re.search(r'<td class="text-end">3</td>\s*<td class="text-end">2</td>', html)


def test_rejected_rows_show_their_text_to_admins_only(client, login_as, import_run):
    login_as("dcxo", ("STR",))
    html = client.get(f"/requests/imports/{import_run}").get_data(as_text=True)
    assert "closed before it was requested" in html and "SR-77" in html and ">7</td>" in html
    assert "jane.doe@example.org" not in html
    client.post("/logout")
    login_as("admin")
    assert "jane.doe@example.org" in client.get(f"/requests/imports/{import_run}").get_data(as_text=True)


def test_an_unknown_import_run_is_404(client, login_as):
    login_as("admin")
    assert client.get("/requests/imports/999").status_code == 404

"""Who may open which survey page: role x page -> status, for own and other departments."""

import pytest

ALLOWED, LOGIN, FORBIDDEN, HIDDEN = 200, 302, 403, 404

PAGES = {
    "list": "/surveys/",
    "new": "/surveys/new",
    "overview": "/surveys/{sid}",
    "settings": "/surveys/{sid}/settings",
    "questions": "/surveys/{sid}/questions",
    "add question": "/surveys/{sid}/questions/new",
    "edit question": "/surveys/{sid}/questions/csat",
    "translations": "/surveys/{sid}/translations",
    "translate": "/surveys/{sid}/translations/es",
    "preview": "/surveys/{sid}/preview",
    "enter": "/surveys/{sid}/enter",
}
# Pages that exist only for a survey with a public link.
PUBLIC_PAGES = {"qr poster": "/surveys/{sid}/qr", "qr png": "/surveys/{sid}/qr.png"}

READ = {"list", "overview", "translations", "preview", "qr poster", "qr png"}
ANY_ROLE = {"list"}


def expected(role, page, own):
    if role is None:
        return LOGIN
    if page in ANY_ROLE:
        return ALLOWED
    if page == "new":
        return ALLOWED if role in ("admin", "dcxo") else FORBIDDEN
    editor = role in ("admin", "dcxo")
    if page not in READ and not editor:
        return FORBIDDEN
    sees = role in ("admin", "program_lead") or own
    return ALLOWED if sees else HIDDEN


CASES = [
    pytest.param(role, page, own, id=f"{role or 'anonymous'}-{page}-{'own' if own else 'other'}")
    for page in [*PAGES, *PUBLIC_PAGES]
    for role in ("admin", "dcxo", "program_lead", "viewer", None)
    for own in (True, False)
]


@pytest.mark.parametrize(("role", "page", "own"), CASES)
def test_role_gets_expected_status_for_survey_page(client, login_as, make_survey, role, page, own):
    sid = make_survey("STR" if own else "WTR", publish=True)
    if page in PUBLIC_PAGES:
        from vocapp.db import db
        from vocapp.models import Survey
        from vocapp.services.surveys import set_public_link

        with client.application.app_context():
            set_public_link(None, db.session.get(Survey, sid), True)
            db.session.commit()
    if role:
        login_as(role, ("STR",) if role in ("dcxo", "viewer") else ())
    url = {**PAGES, **PUBLIC_PAGES}[page].format(sid=sid)
    assert client.get(url).status_code == expected(role, page, own)


@pytest.mark.parametrize("role", ["program_lead", "viewer"])
def test_read_only_roles_cannot_change_a_survey(client, login_as, make_survey, role):
    sid = make_survey("STR")
    login_as(role, ("STR",) if role == "viewer" else ())
    for url in ("publish", "archive", "clone", "public-link", "test-links", "questions/csat/remove"):
        assert client.post(f"/surveys/{sid}/{url}").status_code == 403, url


def test_dcxo_cannot_change_another_departments_survey(client, login_as, make_survey, load):
    sid = make_survey("WTR")
    login_as("dcxo", ("STR",))
    for url in ("publish", "archive", "questions/csat/remove"):
        assert client.post(f"/surveys/{sid}/{url}").status_code == 404
    assert load(sid)[2][0][1] == "draft"


def test_dcxo_cannot_create_a_survey_for_another_department(app, client, login_as, departments):
    login_as("dcxo", ("STR",))
    response = client.post("/surveys/new", data={"department": departments["WTR"], "name": "Sneaky",
                                                 "template": "nps"})
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)

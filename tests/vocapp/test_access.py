"""Who may open which staff page: the access rules as a table (role x page -> status)."""

import pytest

# Pages by the department they touch: "own" is Streets (the DCXO's and viewer's),
# "other" is Water (outside their scope).
PAGES = {
    "home": "/",
    "departments": "/departments/",
    "own department": "/departments/{STR}",
    "other department": "/departments/{WTR}",
    "new department": "/departments/new",
    "edit department": "/departments/{STR}/edit",
    "users": "/admin/users",
    "new user": "/admin/users/new",
    "edit user": "/admin/users/{user}",
    "audit log": "/audit/",
    "own password": "/account/password",
}

ALLOWED, LOGIN, FORBIDDEN, HIDDEN = 200, 302, 403, 404

EXPECTED = {
    #                   admin    dcxo       program_lead viewer     anonymous
    "home":             (ALLOWED, ALLOWED,   ALLOWED,     ALLOWED,   LOGIN),
    "departments":      (ALLOWED, ALLOWED,   ALLOWED,     ALLOWED,   LOGIN),
    "own department":   (ALLOWED, ALLOWED,   ALLOWED,     ALLOWED,   LOGIN),
    "other department": (ALLOWED, HIDDEN,    ALLOWED,     HIDDEN,    LOGIN),
    "new department":   (ALLOWED, FORBIDDEN, FORBIDDEN,   FORBIDDEN, LOGIN),
    "edit department":  (ALLOWED, FORBIDDEN, FORBIDDEN,   FORBIDDEN, LOGIN),
    "users":            (ALLOWED, FORBIDDEN, FORBIDDEN,   FORBIDDEN, LOGIN),
    "new user":         (ALLOWED, FORBIDDEN, FORBIDDEN,   FORBIDDEN, LOGIN),
    "edit user":        (ALLOWED, FORBIDDEN, FORBIDDEN,   FORBIDDEN, LOGIN),
    "audit log":        (ALLOWED, ALLOWED,   FORBIDDEN,   FORBIDDEN, LOGIN),
    "own password":     (ALLOWED, ALLOWED,   ALLOWED,     ALLOWED,   LOGIN),
}
ROLES = ("admin", "dcxo", "program_lead", "viewer", None)

CASES = [
    pytest.param(role, page, EXPECTED[page][i], id=f"{role or 'anonymous'}-{page}")
    for page in PAGES
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("role", "page", "expected"), CASES)
def test_role_gets_expected_status_for_page(client, login_as, make_user, departments, role, page, expected):
    someone = make_user("viewer", ("WTR",))
    if role:
        login_as(role, ("STR",) if role in ("dcxo", "viewer") else ())
    url = PAGES[page].format(user=someone, **departments)
    response = client.get(url)
    assert response.status_code == expected
    if expected == LOGIN:
        assert response.headers["Location"].startswith("/login?next=")


def test_every_get_route_is_covered_by_the_table(app):
    covered = {url.split("{")[0].rstrip("/") for url in PAGES.values()}
    public = {"/login", "/healthz", "/static", "/bootstrap/static", "/s", "/p"}
    # Survey, campaign and request pages have their own tables: tests/vocapp/design, results,
    # campaigns/test_pages.py and servicerequests/test_pages.py.
    own_tables = {"/surveys", "/campaigns", "/requests"}
    covered |= own_tables
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        prefix = str(rule).split("<")[0].rstrip("/")
        assert prefix in covered | public or any(prefix.startswith(p) for p in public | {f"{t}/" for t in own_tables}), str(rule)


@pytest.mark.parametrize("role", ["dcxo", "program_lead", "viewer"])
def test_non_admin_cannot_post_admin_forms(client, login_as, departments, role):
    login_as(role, ("STR",) if role in ("dcxo", "viewer") else ())
    response = client.post("/departments/new", data={"code": "X", "name": "Sneaky"})
    assert response.status_code == 403
    response = client.post("/admin/users/new", data={"name": "x", "email": "x@city.example",
                                                     "role": "admin", "password": "p" * 20})
    assert response.status_code == 403

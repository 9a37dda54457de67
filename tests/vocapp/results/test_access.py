"""Who may read results: every staff role, DCXOs and viewers only for their departments."""

from __future__ import annotations

import pytest

ALLOWED, LOGIN, HIDDEN = 200, 302, 404

PAGES = {
    "page": "/surveys/{id}/results",
    "csv": "/surveys/{id}/results.csv",
    "png": "/surveys/{id}/results/csat.png",
    "svg": "/surveys/{id}/results/csat.svg",
}

#: (role, departments of the user) -> expected status for a Streets survey.
EXPECTED = {
    ("admin", ()): ALLOWED,
    ("dcxo", ("STR",)): ALLOWED,
    ("dcxo", ("WTR",)): HIDDEN,
    ("program_lead", ()): ALLOWED,
    ("viewer", ("STR",)): ALLOWED,
    ("viewer", ("WTR",)): HIDDEN,
    (None, ()): LOGIN,
}

CASES = [pytest.param(role, codes, status, id=f"{role or 'anonymous'}-{'+'.join(codes) or 'all'}")
         for (role, codes), status in EXPECTED.items()]


@pytest.mark.parametrize(("role", "codes", "expected"), CASES)
def test_role_gets_expected_status_for_every_results_page(client, login_as, published, answer, role, codes,
                                                          expected):
    survey_id = published("post_service", code="STR")
    answer(survey_id, {"csat": 4})
    if role:
        login_as(role, codes)
    for page, url in PAGES.items():
        response = client.get(url.format(id=survey_id))
        assert response.status_code == expected, page
        if expected == LOGIN:
            assert response.headers["Location"].startswith("/login?next="), page


def test_missing_survey_is_404(client, login_as, departments):
    login_as("admin")
    assert client.get("/surveys/999/results").status_code == 404
    assert client.get("/surveys/999/results.csv").status_code == 404

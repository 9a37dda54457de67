"""Security headers, cookie flags and error pages that never show internals."""

import pytest

from vocapp import create_app


def test_pages_carry_security_headers(client):
    response = client.get("/login")
    h = response.headers
    assert "default-src 'self'" in h["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert h["X-Content-Type-Options"] == "nosniff"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "same-origin"
    assert h["Cache-Control"] == "no-store"


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert "max-age" in client.get("/login", base_url="https://vocapp.city.example").headers["Strict-Transport-Security"]


def test_session_cookie_is_secure_httponly_and_samesite_by_default(tmp_path, monkeypatch):
    monkeypatch.setenv("VOCAPP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("VOCAPP_SESSION_COOKIE_SECURE", raising=False)
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    response = app.test_client().get("/login", base_url="https://vocapp.city.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("vocapp_session=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_static_css_is_served_locally(client):
    page = client.get("/login").get_data(as_text=True)
    assert "cdn.jsdelivr" not in page
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200
    assert client.get("/static/vocapp.css").status_code == 200


def test_unexpected_errors_show_a_friendly_page_without_a_traceback(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body and "Traceback" not in body


@pytest.mark.parametrize(("url", "status"), [("/no/such/page", 404), ("/api/v1/nothing", 404)])
def test_not_found_is_html_for_people_and_json_for_the_api(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    if url.startswith("/api/"):
        assert response.get_json()["error"]["status"] == 404
    else:
        assert "<h1>Not Found</h1>" in response.get_data(as_text=True)


def test_pages_declare_their_language_and_a_skip_link(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert 'href="#main"' in page and 'id="main"' in page


def test_form_errors_are_linked_to_their_fields(client):
    page = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert 'href="#email"' in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="email-error"' in page


@pytest.mark.parametrize("url", ["/login?next=%00", "/admin/users?q=a%00b"])
def test_nul_bytes_in_input_are_a_400(client, login_as, url):
    login_as("admin")
    assert client.get(url).status_code == 400
    assert client.post("/login", data={"email": "a\x00@x.example", "password": "x"}).status_code == 400


@pytest.mark.ratelimit
def test_rate_limited_answers_say_when_to_retry(app, client):
    app.config["LOGIN_RATE_LIMIT"] = "1 per minute"
    client.post("/login", data={"email": "a@city.example", "password": "x"})
    limited = client.post("/login", data={"email": "a@city.example", "password": "x"})
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60


def test_unusable_rate_limit_storage_is_a_config_error(tmp_path, monkeypatch):
    from vocapp.errors import ConfigError

    monkeypatch.setenv("VOCAPP_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        create_app({"SECRET_KEY": "x", "DATABASE_URL": "sqlite://", "RATELIMIT_STORAGE_URI": "nosuch://x"})

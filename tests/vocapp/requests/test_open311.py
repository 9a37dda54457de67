"""Open311 GeoReport v2 polling against a real HTTP server on loopback: real payloads, quirks and failures."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.vocapp.requests.open311_server import FakeEndpoint, Open311TestServer, synthetic_requests, to_xml
from vocapp.connectors.open311 import Endpoint, Open311Error, Retry, poll, poll_configured
from vocapp.connectors.open311_parse import RecordValidator, normalise, parse_payload, to_record
from vocapp.db import db
from vocapp.models import Channel, ImportRun, PollCursor, RejectedRow, RequestStatus, ServiceRequest

T0 = datetime(2024, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def server():
    """One loopback server for the module; each test adds its own endpoints."""
    srv = Open311TestServer().start()
    yield srv
    srv.stop()


@pytest.fixture()
def schema_dir(shared_data):
    return shared_data / "311" / "open311" / "schema"


@pytest.fixture()
def chicago(shared_data) -> list[dict]:
    path = shared_data / "311" / "open311" / "chicago" / "chicago_open311_requests_extensions_2014.json"
    return json.loads(path.read_text())


def fast(sleeps: list[float] | None = None, attempts: int = 3, base: float = 0.001) -> Retry:
    """A retry policy that records its waits instead of sleeping."""
    return Retry(attempts=attempts, base=base, sleep=(sleeps.append if sleeps is not None else lambda s: None))


def run(app, endpoint: Endpoint, **options):
    """Poll inside an app context with instant retries."""
    options.setdefault("retry", fast())
    with app.app_context():
        return poll(endpoint, **options)


def stored(app, **filters) -> list[ServiceRequest]:
    with app.app_context():
        query = select(ServiceRequest).filter_by(**filters).order_by(ServiceRequest.source_id)
        return list(db.session.scalars(query))


def count(app, model=ServiceRequest) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def cursor(app, key: str) -> PollCursor | None:
    with app.app_context():
        return db.session.get(PollCursor, key)


def window_starts(endpoint: FakeEndpoint, name: str = "start_date") -> list[datetime]:
    return [datetime.fromisoformat(q[name].replace("Z", "+00:00")) for q in endpoint.queries() if name in q]


# --- real payloads ----------------------------------------------------------------------------------

def test_chicago_extensions_map_channel_ward_zip_duplicates_parents_and_the_trailing_z_is_learned(
        app, server, chicago, schema_dir):
    url, fake = server.add("chicago", FakeEndpoint(records=chicago, cap=50, updated_after=True, refuse_z=True,
                                                   tz=ZoneInfo("America/Chicago")))
    endpoint = Endpoint(url=url, source="open311:chicago", supports_updated_after=True, timezone="America/Chicago",
                        schema_dir=str(schema_dir))
    result = run(app, endpoint, since=datetime(2015, 9, 1, tzinfo=UTC), until=datetime(2015, 11, 1, tzinfo=UTC))

    assert (result.stored, sum(result.rejected.values()), result.windows) == (49, 0, 1)  # the open one is not asked
    assert result.learned_strip_z and "strip_z" in "\n".join(result.summary())
    first, *later = fake.queries()
    assert first["updated_after"].endswith("Z") and first["extensions"] == "true"
    assert later and all(not q["updated_after"].endswith("Z") for q in later)
    assert later[0]["updated_after"] == "2015-08-31T19:00:00"  # local Chicago time, as the endpoint wants

    rows = {r.source_id: r for r in stored(app)}
    pothole = rows["14-00684314"]
    assert (pothole.source, pothole.status, pothole.channel, pothole.ward, pothole.zip) == (
        "open311:chicago", RequestStatus.CLOSED, Channel.PHONE, "21", "60620")
    assert pothole.closed_at == datetime(2015, 10, 10, 15, 15, 40, tzinfo=UTC)  # the "closed" note
    assert pothole.requested_at == datetime(2014, 5, 10, 0, 2, 21, tzinfo=UTC)
    assert pothole.agency == "Division of In-House Construction CDOT"
    assert pothole.extra["follow_on"] == ["14-01225670", "14-01235584"]
    assert pothole.extra["extended_attributes"] == {"police": "6"}
    assert pothole.extra["attributes"] == {"WHEREIST": "TRAFFIC"}
    assert rows["14-02155558"].duplicate_of == "15-05164921" and rows["14-02155558"].parent_id is None
    assert rows["14-02126535"].parent_id == "14-01212552" and rows["14-02126535"].duplicate_of is None
    channels = {c: sum(r.channel == c for r in rows.values()) for c in (Channel.PHONE, Channel.WEB)}
    assert channels[Channel.PHONE] + channels[Channel.WEB] == 49 and channels[Channel.WEB] >= 10
    assert cursor(app, url).cursor == datetime(2015, 11, 1, tzinfo=UTC)


def test_toronto_xml_with_empty_elements_is_read_and_a_second_file_updates_without_duplicates(app, server,
                                                                                              shared_data):
    fixtures = shared_data / "311" / "open311" / "open311status_fixtures"
    url, fake = server.add("toronto", FakeEndpoint(raw={
        "requests.xml": ("text/xml; charset=UTF-8", (fixtures / "requests_many.xml").read_bytes())}))
    endpoint = Endpoint(url=url, format="xml", page_cap=1000, jurisdiction_id="toronto.ca", api_key="secret")
    window = {"since": datetime(2018, 7, 1, tzinfo=UTC), "until": datetime(2018, 8, 1, tzinfo=UTC)}
    assert run(app, endpoint, **window).stored == 2
    query = fake.queries()[0]
    assert (query["jurisdiction_id"], query["api_key"], query["status"]) == ("toronto.ca", "secret", "closed")

    fake.raw["requests.xml"] = ("application/xml", (fixtures / "requests_single.xml").read_bytes())
    assert run(app, endpoint, reset=True, **window).stored == 1
    first, second = stored(app)
    assert (first.source, first.source_id, first.status) == ("open311:127.0.0.1", "101005420892", RequestStatus.OPEN)
    assert (first.service_code, first.agency, first.zip, first.source_updated_at) == (
        "CSROWR-12", "311 Toronto", None, None)
    assert (first.latitude, first.longitude) == (43.691104288, -79.272306875)
    assert first.requested_at == datetime(2018, 7, 30, 4, 1, tzinfo=UTC)
    assert second.extra["address"] == "Parkette Pl / Danforth Ave, Scarborough"


def test_chicago_service_requests_json_validate_against_the_published_schema(app, server, shared_data, schema_dir):
    body = (shared_data / "311" / "open311" / "open311status_fixtures" / "service_requests.json").read_bytes()
    url, _ = server.add("chicago-plain", FakeEndpoint(raw={"requests.json": ("application/json", body)}))
    result = run(app, Endpoint(url=url, schema_dir=str(schema_dir)), since=datetime(2014, 7, 1, tzinfo=UTC),
                 until=datetime(2014, 8, 1, tzinfo=UTC))
    assert (result.stored, dict(result.rejected)) == (2, {})
    assert [r.status_notes for r in stored(app)] == ["Locked", None]


def test_services_are_listed_from_json_and_from_xml(app, runner, server, shared_data, schema_dir):
    fixtures = shared_data / "311" / "open311" / "open311status_fixtures"
    url, _ = server.add("services", FakeEndpoint(raw={
        "services.json": ("application/json", (fixtures / "service_list.json").read_bytes()),
        "services.xml": ("application/xml", (fixtures / "services_giessen.xml").read_bytes())}))
    listed = runner.invoke(args=["open311", "services", url, "--schema", str(schema_dir)])
    assert listed.exit_code == 0, listed.output
    assert "001\tCans left out 24x7\tsanitation" in listed.output.splitlines()
    german = runner.invoke(args=["open311", "services", url, "--format", "xml", "--schema", str(schema_dir)])
    assert german.exit_code == 0, german.output
    assert "015\tAbwasser und Wasser\t" in german.output.splitlines()
    assert "Verkehrsschild beschädigt" in german.output


# --- windows, splitting, paging, cursor ----------------------------------------------------------------

def test_a_thousand_requests_behind_a_cap_of_50_are_all_stored_by_splitting_windows_and_paging(app, server):
    records = synthetic_requests(1000, T0, timedelta(days=10), burst=120)
    url, fake = server.add("thousand", FakeEndpoint(records=records, cap=50, paging=True))
    endpoint = Endpoint(url=url, page_cap=50, supports_paging=True)
    result = run(app, endpoint, since=T0, until=T0 + timedelta(days=10))

    assert (result.read, result.stored, count(app)) == (1000, 1000, 1000)
    assert result.splits > 10 and result.paged == 1  # the burst of 120 in one second needed pages
    pages = [q for q in fake.queries() if q["page"] != "1"]
    assert {q["page"] for q in pages} == {"2", "3"} and all(q["page_size"] == "50" for q in fake.queries())
    spans = [datetime.fromisoformat(q["end_date"][:-1]) - datetime.fromisoformat(q["start_date"][:-1])
             for q in fake.queries()]
    assert max(spans) <= timedelta(days=10) and min(spans) < timedelta(minutes=2)
    assert cursor(app, url.rstrip("/")).cursor == T0 + timedelta(days=10)
    with app.app_context():
        run_row = db.session.scalar(select(ImportRun))
        assert (run_row.kind, run_row.status, run_row.rows_stored) == ("open311", "done", 1000)


def test_a_window_still_capped_without_paging_is_stored_and_reported_incomplete(app, server):
    url, _ = server.add("no-paging", FakeEndpoint(records=synthetic_requests(60, T0, timedelta(days=1), burst=60)))
    result = run(app, Endpoint(url=url), since=T0, until=T0 + timedelta(days=1))
    assert result.stored == 50 and len(result.incomplete) == 1
    assert "records may be missing" in "\n".join(result.summary())


def test_windows_are_at_most_90_days(app, server):
    url, fake = server.add("long", FakeEndpoint())
    result = run(app, Endpoint(url=url, window_days=90), since=T0 - timedelta(days=200), until=T0)
    assert result.windows == 3
    starts = window_starts(fake)
    assert starts == [T0 - timedelta(days=200), T0 - timedelta(days=110), T0 - timedelta(days=20)]


def test_the_cursor_is_stored_and_a_second_poll_asks_only_for_the_new_window(app, server):
    records = synthetic_requests(200, T0, timedelta(days=10))  # closed by T0 + 12 days at the latest
    cut = T0 + timedelta(days=5)
    early = [r for r in records if datetime.fromisoformat(r["updated_datetime"]) < cut]
    url, fake = server.add("resume", FakeEndpoint(records=list(early), updated_after=True))
    endpoint = Endpoint(url=url, name="city", supports_updated_after=True, window_days=5)
    first = run(app, endpoint, since=T0, until=cut)
    assert cursor(app, "city").cursor == cut == first.cursor and count(app) == len(early)

    fake.log.clear()
    fake.records.extend(r for r in records if r not in early)  # closed since the first poll
    second = run(app, endpoint, until=T0 + timedelta(days=12))
    assert min(window_starts(fake, "updated_after")) == cut
    assert second.windows >= 2 and cursor(app, "city").cursor == T0 + timedelta(days=12)
    assert count(app) == 200 and second.stored == 200 - len(early)


def test_endpoints_without_updated_after_re_read_the_lookback_before_the_cursor(app, server):
    url, fake = server.add("lookback", FakeEndpoint())
    run(app, Endpoint(url=url), since=T0, until=T0 + timedelta(days=20))
    fake.log.clear()
    run(app, Endpoint(url=url), until=T0 + timedelta(days=21))
    assert window_starts(fake) == [T0 + timedelta(days=13)]  # the default 7 days
    fake.log.clear()
    run(app, Endpoint(url=url, lookback_days=0), until=T0 + timedelta(days=22))
    assert window_starts(fake) == [T0 + timedelta(days=21)]


def test_polling_twice_stores_no_duplicates(app, server, departments):
    url, _ = server.add("twice", FakeEndpoint(records=synthetic_requests(100, T0, timedelta(days=2)), cap=1000))
    endpoint = Endpoint(url=url, page_cap=1000, departments={"Streets Department": "STR"})
    for _ in range(2):
        assert run(app, endpoint, since=T0, until=T0 + timedelta(days=2), reset=True).stored == 100
    assert count(app) == 100
    rows = stored(app)
    by_agency = {r.agency: r.department_id for r in rows}
    assert by_agency == {"STR": departments["STR"], "WTR": departments["WTR"],
                         "Streets Department": departments["STR"]}
    assert {r.channel for r in rows} >= {Channel.PHONE, Channel.WEB, Channel.APP, Channel.EMAIL, Channel.WALK_IN}


# --- transient failures: retried ------------------------------------------------------------------------

def test_503_twice_then_success_is_retried_with_exponential_back_off(app, server):
    url, fake = server.add("flaky", FakeEndpoint(records=synthetic_requests(5, T0, timedelta(hours=1)), fail_first=2))
    sleeps: list[float] = []
    result = run(app, Endpoint(url=url), since=T0, until=T0 + timedelta(days=1), retry=fast(sleeps, 4, 0.5))
    assert (result.stored, result.calls, sleeps) == (5, 3, [0.5, 1.0])


def test_429_honours_retry_after(app, server):
    url, _ = server.add("throttled", FakeEndpoint(throttle_first=1, retry_after="3"))
    sleeps: list[float] = []
    run(app, Endpoint(url=url), since=T0, until=T0 + timedelta(days=1), retry=fast(sleeps))
    assert sleeps == [3.0]


def test_a_timeout_retried_then_given_up_leaves_the_cursor_and_records_the_error(app, server):
    url, fake = server.add("slow", FakeEndpoint(delay=0.4))
    with pytest.raises(Open311Error, match=r"slow/requests\.json\?.*timed out after 0\.1 s; gave up after 2"):
        run(app, Endpoint(url=url, timeout=0.1), since=T0, until=T0 + timedelta(days=1), retry=fast(attempts=2))
    assert len(fake.log) == 2 and count(app) == 0
    row = cursor(app, url)
    assert row.cursor is None and "timed out" in row.last_error
    with app.app_context():
        assert db.session.scalar(select(ImportRun.status)) == "failed"


def test_connection_refused_is_an_open311_error(app):
    with pytest.raises(Open311Error, match="connection failed"):
        run(app, Endpoint(url="http://127.0.0.1:9/open311"), since=T0, until=T0 + timedelta(days=1))


# --- bad input: a clear error, the cursor kept, nothing lost ---------------------------------------------------

HTML = (200, "text/html; charset=utf-8", b"<!DOCTYPE html><html><head><title>Maintenance</title></head></html>")
BAD_ANSWERS = {
    "html page": (HTML, "HTML page instead of Open311 JSON (title: 'Maintenance')"),
    "truncated json": ((200, "application/json", b'[{"service_request_id": "1", "status": "clo'),
                       "invalid JSON (truncated?)"),
    "wrong content type": ((200, "image/png", b"\x89PNG\r\n"), "content type 'image/png', expected JSON"),
    "an object": ((200, "application/json", b'{"error": "nope"}'), "expected a JSON array"),
    "error list": ((200, "application/json", b'[{"code": 403, "description": "Invalid api_key"}]'),
                   "Open311 error: 403 Invalid api_key"),
    "http 404": ((404, "text/plain", b"Not Found"), "HTTP 404: Not Found"),
    "empty": ((200, "application/json", b""), "empty body"),
}


@pytest.mark.parametrize("answer", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_a_bad_answer_is_a_clear_error_and_keeps_what_was_imported_and_the_cursor(app, server, answer):
    response, message = answer
    url, fake = server.add("bad", FakeEndpoint(records=synthetic_requests(10, T0, timedelta(days=1))))
    run(app, Endpoint(url=url), since=T0, until=T0 + timedelta(days=1))
    fake.records.extend(synthetic_requests(5, T0 + timedelta(days=1), timedelta(days=1), prefix="NEW"))
    fake.respond = lambda resource, params: response
    with pytest.raises(Open311Error) as raised:
        run(app, Endpoint(url=url), until=T0 + timedelta(days=2))
    assert message in str(raised.value) and f"{url}/requests.json?" in str(raised.value)
    assert count(app) == 10
    row = cursor(app, url)
    assert row.cursor == T0 + timedelta(days=1) and message in row.last_error


def test_xml_entities_are_never_expanded(app, server):
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>' \
           b"<service_requests><request><service_request_id>&b;</service_request_id></request></service_requests>"
    url, _ = server.add("bomb", FakeEndpoint(raw={"requests.xml": ("text/xml", bomb)}))
    with pytest.raises(Open311Error, match="refused XML with a DTD or entity declarations"):
        run(app, Endpoint(url=url, format="xml"), since=T0, until=T0 + timedelta(days=1))


def test_truncated_xml_is_a_clear_error(app, server):
    body = to_xml(synthetic_requests(3, T0, timedelta(hours=1)))[:-40]
    url, _ = server.add("truncated-xml", FakeEndpoint(raw={"requests.xml": ("application/xml", body)}))
    with pytest.raises(Open311Error, match=r"truncated-xml/requests\.xml\?.*: invalid XML \(truncated\?\)"):
        run(app, Endpoint(url=url, format="xml"), since=T0, until=T0 + timedelta(days=1))
    assert count(app) == 0 and cursor(app, url).cursor is None


def test_a_failure_midway_keeps_the_windows_before_it(app, server):
    records = synthetic_requests(30, T0, timedelta(days=3))
    third_day = (T0 + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    url, _ = server.add("midway", FakeEndpoint(records=records, respond=lambda resource, params: (
        (200, "application/json", b"[{") if params.get("start_date") == third_day else None)))
    with pytest.raises(Open311Error, match="invalid JSON"):
        run(app, Endpoint(url=url, window_days=1), since=T0, until=T0 + timedelta(days=3))
    opened = [datetime.fromisoformat(r["requested_datetime"]) for r in records]
    assert count(app) == sum(o < T0 + timedelta(days=2) for o in opened) > 0
    assert cursor(app, url).cursor == T0 + timedelta(days=2)


def _invalid_records() -> list[dict]:
    good = synthetic_requests(3, T0, timedelta(hours=1))
    no_status = dict(good[0], service_request_id="BAD-1")
    del no_status["status"]
    bad_zip = dict(good[1], service_request_id="BAD-2", extended_attributes={"zip": "99999"})
    bad_date = dict(good[2], service_request_id="BAD-3", requested_datetime="last tuesday")
    backwards = dict(good[2], service_request_id="BAD-4", updated_datetime="2024-01-01T00:00:00Z")
    return [*good, no_status, bad_zip, bad_date, backwards]


@pytest.mark.parametrize("with_schema", [False, True], ids=["built-in rules", "published schema"])
def test_invalid_records_are_quarantined_and_the_others_stored(app, request, server, with_schema):
    schema = str(request.getfixturevalue("schema_dir")) if with_schema else None
    records = _invalid_records()
    url, _ = server.add("invalid", FakeEndpoint(raw={"requests.json": ("application/json", json.dumps(records).encode())}))
    result = run(app, Endpoint(url=url, schema_dir=schema), since=T0, until=T0 + timedelta(days=1))
    assert (result.read, result.stored, sum(result.rejected.values())) == (7, 3, 4)
    with app.app_context():
        rejects = {r.source_id: r for r in db.session.scalars(select(RejectedRow))}
        assert set(rejects) == {"BAD-1", "BAD-2", "BAD-3", "BAD-4"}
        assert "'status' is a required property" in rejects["BAD-1"].reason and rejects["BAD-1"].line == 4
        assert rejects["BAD-2"].reason == "impossible ZIP code '99999'"
        assert rejects["BAD-3"].reason == "unreadable timestamp 'last tuesday'"
        assert rejects["BAD-4"].reason.startswith("closed (2024-01-01T00:00:00+00:00) before it was requested")
        assert json.loads(rejects["BAD-1"].raw)["service_request_id"] == "BAD-1"
        assert db.session.scalar(select(ImportRun.rows_rejected)) == 4


# --- command line and scheduler ----------------------------------------------------------------------------

def test_cli_polls_prints_progress_and_a_summary_and_resumes(app, runner, server):
    url, fake = server.add("cli", FakeEndpoint(records=synthetic_requests(80, T0, timedelta(days=2)), cap=50))
    args = ["open311", "poll", url, "--since", "2024-03-01", "--until", "2024-03-03T00:00:00Z", "--page-cap", "50"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "80 records read, 80 stored, 0 rejected" in result.output
    assert "splitting" in result.output and "Cursor: 2024-03-03T00:00:00+00:00" in result.output
    again = runner.invoke(args=["open311", "poll", url, "--until", "2024-03-03T00:00:00Z", "--lookback-days", "0"])
    assert again.exit_code == 0 and "0 window(s)" in again.output
    listed = runner.invoke(args=["open311", "cursors"])
    assert f"{url}\tcursor 2024-03-03T00:00:00+00:00" in listed.output


def test_cli_exits_2_with_the_message_on_an_open311_error(app, runner, server):
    url, _ = server.add("cli-html", FakeEndpoint(respond=lambda resource, params: HTML))
    result = runner.invoke(args=["open311", "poll", url, "--api-key", "s3cret"])
    assert result.exit_code == 2
    assert f"{url}/requests.json?" in result.output and "HTML page" in result.output
    assert "s3cret" not in result.output and "api_key=***" in result.output


def test_the_api_key_never_reaches_the_logs(app, server, caplog):
    url, fake = server.add("keyed", FakeEndpoint())
    with caplog.at_level(logging.DEBUG):
        run(app, Endpoint(url=url, api_key="s3cret"), since=T0, until=T0 + timedelta(days=1))
    assert fake.queries()[0]["api_key"] == "s3cret"
    assert "api_key=***" in caplog.text and "s3cret" not in caplog.text


@pytest.mark.parametrize(("args", "message"), [
    (["ftp://example.org/open311"], "http:// or https://"),
    (["http://127.0.0.1:9/x", "--since", "soon"], "--since 'soon' is not an ISO date"),
])
def test_cli_refuses_bad_arguments(app, runner, args, message):
    result = runner.invoke(args=["open311", "poll", *args])
    assert result.exit_code == 2 and message in result.output


def test_cli_uses_a_configured_endpoint_by_name(app, runner, server):
    url, fake = server.add("named", FakeEndpoint(records=synthetic_requests(3, T0, timedelta(hours=2))))
    app.config["OPEN311_ENDPOINTS"] = [{"name": "springfield", "url": url, "jurisdiction_id": "springfield.gov",
                                        "source": "springfield"}]
    result = runner.invoke(args=["open311", "poll", "springfield", "--since", "2024-03-01", "--until", "2024-03-02"])
    assert result.exit_code == 0, result.output
    assert fake.queries()[0]["jurisdiction_id"] == "springfield.gov"
    assert cursor(app, "springfield").cursor == T0 + timedelta(days=1)
    assert {r.source for r in stored(app)} == {"springfield"}


def test_poll_configured_polls_every_endpoint_and_stores_each_failure(app, server):
    now = datetime.now(UTC)
    good_url, _ = server.add("cfg-good", FakeEndpoint(records=synthetic_requests(4, now - timedelta(days=3),
                                                                                 timedelta(days=1))))
    bad_url, _ = server.add("cfg-bad", FakeEndpoint(respond=lambda resource, params: HTML))
    app.config["OPEN311_ENDPOINTS"] = [
        {"name": "bad", "url": bad_url},
        {"name": "typo", "url": good_url, "page_szie": 10},
        {"name": "good", "url": good_url, "source": "good"},
    ]
    results = poll_configured(app, retry=fast())
    assert isinstance(results["bad"], Open311Error) and results["good"].stored == 4
    assert "page_szie" in str(results["typo"])
    assert "HTML page" in cursor(app, "bad").last_error and cursor(app, "bad").cursor is None
    assert "unknown key(s) page_szie" in cursor(app, "typo").last_error
    good = cursor(app, "good")
    assert good.last_error is None and good.cursor is not None and good.last_polled_at is not None
    assert count(app) == 4


# --- parsing, without HTTP -------------------------------------------------------------------------------------

def test_xml_with_a_requests_root_numeric_codes_and_notes_is_parsed():
    body = to_xml([{"service_request_id": 7, "status": "Closed", "service_code": 12, "lat": "41.9", "long": "-87.6",
                    "requested_datetime": "2024-03-01 08:00:00", "updated_datetime": "2024-03-02T08:00:00-06:00",
                    "notes": [{"type": "closed", "datetime": "2024-03-02T07:00:00-06:00"}],
                    "extended_attributes": {"channel": "Mobile", "ward": 3, "duplicate": True,
                                            "parent_service_request_id": "5"}}], root="requests")
    (item,) = [normalise(i) for i in parse_payload(body, "text/xml", "xml")]
    assert RecordValidator().problems(item) == []
    record = to_record(item, "open311:test", ZoneInfo("America/Chicago"))
    assert (record.source_id, record.service_code, record.status, record.channel) == (
        "7", "12", RequestStatus.CLOSED, Channel.APP)
    assert record.requested_at == datetime(2024, 3, 1, 14, tzinfo=UTC)  # naive: the endpoint's zone
    assert record.closed_at == datetime(2024, 3, 2, 13, tzinfo=UTC)
    assert (record.duplicate_of, record.parent_id, record.ward) == ("5", None, "3")


def test_foreign_postal_codes_are_kept_aside_not_rejected():
    item = normalise({"service_request_id": "1", "status": "open", "service_code": "X",
                      "requested_datetime": "2024-01-01T00:00:00Z", "zipcode": "m1l 2k9", "language": "es-MX"})
    record = to_record(item, "open311:toronto")
    assert (record.zip, record.extra, record.language) == (None, {"postal_code": "M1L 2K9"}, "es")

"""A small GeoReport v2 server on loopback, for the Open311 client's tests and for trying the CLI by hand.

Each fake endpoint lives under its own path (``http://127.0.0.1:PORT/NAME``) and
answers ``requests.json|xml`` and ``services.json|xml`` the way real servers
do: windows on ``start_date``/``end_date`` (or ``updated_after``), a page cap,
optional paging, and the failures the client must survive (503s, 429s,
timeouts, HTML pages, refusing a trailing ``Z``). Every query is logged.

Run it by hand::

    .venv/bin/python tests/vocapp/requests/open311_server.py [--port 8311]
"""

from __future__ import annotations

import argparse
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

__all__ = ["FakeEndpoint", "Open311TestServer", "synthetic_requests", "to_xml", "demo_server"]

#: A hook answering a query itself: (resource, params) -> (status, content type, body), or None to go on.
Responder = Callable[[str, dict[str, str]], "tuple[int, str, bytes] | None"]


@dataclass
class FakeEndpoint:
    """What one fake endpoint holds and how it behaves."""

    records: list[dict[str, Any]] = field(default_factory=list)
    services: list[dict[str, Any]] = field(default_factory=list)
    cap: int = 50
    paging: bool = False
    updated_after: bool = False
    refuse_z: bool = False
    #: Zone in which naive query dates are read.
    tz: tzinfo = UTC
    #: Answer this many queries with 503 before answering properly.
    fail_first: int = 0
    #: Answer this many queries with 429 and this Retry-After first.
    throttle_first: int = 0
    retry_after: str = "2"
    #: Seconds to wait before answering (a timeout when longer than the client's).
    delay: float = 0.0
    #: Resource name -> (content type, body) served verbatim, whatever the query.
    raw: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    respond: Responder | None = None
    #: (resource, query parameters) of every query received.
    log: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def queries(self, resource: str = "requests") -> list[dict[str, str]]:
        """The parameters of every query of `resource` ("requests" or "services")."""
        return [params for name, params in self.log if name.startswith(resource)]


def _when(raw: str | None, tz: tzinfo) -> datetime | None:
    if not raw:
        return None
    value = datetime.fromisoformat(raw)
    return (value if value.tzinfo else value.replace(tzinfo=tz)).astimezone(UTC)


def _select(endpoint: FakeEndpoint, params: dict[str, str]) -> list[dict[str, Any]]:
    """The records a real server would answer: status, window, order, cap and page."""
    if endpoint.updated_after and ("updated_after" in params or "updated_before" in params):
        field_name, low, high = "updated_datetime", params.get("updated_after"), params.get("updated_before")
    else:
        field_name, low, high = "requested_datetime", params.get("start_date"), params.get("end_date")
    start, end = _when(low, endpoint.tz), _when(high, endpoint.tz)
    chosen = []
    for record in endpoint.records:
        if params.get("status") and record.get("status") != params["status"]:
            continue
        moment = _when(record.get(field_name), UTC)
        if moment is None or (start and moment < start) or (end and moment >= end):
            continue
        chosen.append(record)
    chosen.sort(key=lambda r: (_when(r.get(field_name), UTC), str(r.get("service_request_id"))))
    size = endpoint.cap
    if endpoint.paging and params.get("page_size"):
        size = min(int(params["page_size"]), endpoint.cap)
    page = int(params.get("page", "1")) if endpoint.paging else 1
    return chosen[(page - 1) * size: page * size]


def _xml_value(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{tag}>" + "".join(_xml_value(k, v) for k, v in value.items()) + f"</{tag}>"
    if isinstance(value, list):
        item = tag[:-1] if tag.endswith("s") else "item"
        return f"<{tag}>" + "".join(_xml_value(item, v) for v in value) + f"</{tag}>"
    if value is None or value == "":
        return f"<{tag}/>"
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return f"<{tag}>{escape(text)}</{tag}>"


def to_xml(items: list[dict[str, Any]], root: str = "service_requests", item: str = "request") -> bytes:
    """A GeoReport v2 XML document of `items`."""
    body = "".join(_xml_value(item, entry) for entry in items)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>{body}</{root}>'.encode()


class _Handler(BaseHTTPRequestHandler):
    server: Open311TestServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass  # quiet: tests read the endpoint's own log

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        name, _, resource = parts.path.strip("/").rpartition("/")
        endpoint = self.server.endpoints.get(name)
        if endpoint is None:
            return self._send(404, "text/plain", b"no such endpoint")
        params = dict(parse_qsl(parts.query))
        with self.server.lock:
            endpoint.log.append((resource, params))
            failing = endpoint.fail_first > 0
            endpoint.fail_first -= failing
            throttled = not failing and endpoint.throttle_first > 0
            endpoint.throttle_first -= throttled
        if endpoint.delay:
            time.sleep(endpoint.delay)
        if failing:
            return self._send(503, "text/html", b"<html><title>503 Service Unavailable</title></html>")
        if throttled:
            return self._send(429, "text/plain", b"slow down", {"Retry-After": endpoint.retry_after})
        answer = (endpoint.respond and endpoint.respond(resource, params)) or self._answer(endpoint, resource, params)
        self._send(*answer)

    def _answer(self, endpoint: FakeEndpoint, resource: str, params: dict[str, str]) -> tuple[int, str, bytes]:
        if resource in endpoint.raw:
            content_type, body = endpoint.raw[resource]
            return 200, content_type, body
        kind, _, fmt = resource.partition(".")
        if kind not in ("requests", "services") or fmt not in ("json", "xml"):
            return 404, "text/plain", b"unknown resource"
        dates = [v for k, v in params.items() if k.endswith(("_date", "_after", "_before"))]
        if endpoint.refuse_z and any(v.endswith("Z") for v in dates):
            return 400, "application/json", json.dumps(
                [{"code": 400, "description": "Invalid start_date: use YYYY-MM-DDTHH:MM:SS"}]).encode()
        items = _select(endpoint, params) if kind == "requests" else endpoint.services
        if fmt == "json":
            return 200, "application/json; charset=utf-8", json.dumps(items).encode()
        root, item = ("service_requests", "request") if kind == "requests" else ("services", "service")
        return 200, "text/xml; charset=utf-8", to_xml(items, root, item)

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)


class Open311TestServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer on 127.0.0.1 (port 0: any free one) with named fake endpoints."""

    daemon_threads = True

    def __init__(self, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.endpoints: dict[str, FakeEndpoint] = {}
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, name: str, endpoint: FakeEndpoint | None = None) -> tuple[str, FakeEndpoint]:
        """Serve `endpoint` under /NAME; returns its base URL and the endpoint."""
        endpoint = endpoint or FakeEndpoint()
        self.endpoints[name] = endpoint
        return f"http://127.0.0.1:{self.server_address[1]}/{name}", endpoint

    def start(self) -> Open311TestServer:
        self._thread = threading.Thread(target=self.serve_forever, name="open311-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread:
            self._thread.join(timeout=5)


_SERVICES = [("STR-POT", "Pothole in Street", "STR"), ("STR-LIGHT", "Street Light Out", "STR"),
             ("WTR-LEAK", "Water Leak", "WTR"), ("311-GRAF", "Graffiti Removal", "Streets Department")]
_CHANNELS = ["phone", "web", "open311", "mobile", "email", "walk-in"]


def synthetic_requests(n: int, start: datetime, span: timedelta, *, prefix: str = "SYN", seed: int = 311,
                       burst: int = 0) -> list[dict[str, Any]]:
    """`n` closed GeoReport v2 requests opened over [start, start + span), with Chicago-style extensions.

    The first `burst` of them are opened in the same second (more than any page cap allows per window).
    """
    rng = random.Random(seed)
    records = []
    for i in range(n):
        opened = start + (timedelta(seconds=7) if i < burst else span * rng.random())
        opened = opened.replace(microsecond=0)
        code, name, agency = _SERVICES[i % len(_SERVICES)]
        records.append({
            "service_request_id": f"{prefix}-{i:05d}", "status": "closed", "status_notes": "Completed",
            "service_name": name, "service_code": code, "agency_responsible": agency,
            "requested_datetime": opened.isoformat(),
            "updated_datetime": (opened + timedelta(hours=1 + i % 48)).isoformat(),
            "lat": 41.8 + rng.random() / 10, "long": -87.7 + rng.random() / 10,
            "extended_attributes": {"channel": _CHANNELS[i % len(_CHANNELS)], "ward": str(1 + i % 50),
                                    "zip": f"606{i % 50:02d}"},
        })
    return records


def demo_server(port: int = 0, shared: Path | None = None) -> Open311TestServer:
    """A server with a few endpoints worth polling by hand (real shared files when `shared` is given)."""
    server = Open311TestServer(port)
    now = datetime.now(UTC).replace(microsecond=0)
    server.add("synthetic", FakeEndpoint(records=synthetic_requests(1000, now - timedelta(days=30),
                                                                    timedelta(days=29), burst=120),
                                         cap=50, paging=True))
    server.add("flaky", FakeEndpoint(records=synthetic_requests(20, now - timedelta(days=5), timedelta(days=4)),
                                     fail_first=2))
    server.add("html", FakeEndpoint(respond=lambda resource, params: (
        502, "text/html", b"<!DOCTYPE html><html><title>502 Bad Gateway</title></html>")))
    if shared:
        folder = shared / "311" / "open311"
        chicago = json.loads((folder / "chicago" / "chicago_open311_requests_extensions_2014.json").read_text())
        server.add("chicago", FakeEndpoint(records=chicago, cap=50, updated_after=True, refuse_z=True,
                                           tz=ZoneInfo("America/Chicago")))
        fixtures = folder / "open311status_fixtures"
        server.add("toronto", FakeEndpoint(raw={
            "requests.xml": ("text/xml", (fixtures / "requests_many.xml").read_bytes()),
            "services.json": ("application/json", (fixtures / "service_list.json").read_bytes())}))
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8311)
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[4] / "shared" / "data")
    args = parser.parse_args()
    server = demo_server(args.port, args.shared if args.shared.is_dir() else None)
    for name in server.endpoints:
        print(f"http://127.0.0.1:{server.server_address[1]}/{name}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()


if __name__ == "__main__":
    main()

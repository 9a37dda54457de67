"""A local HTTP server impersonating Twilio's Messages API: records each request and answers as told."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

__all__ = ["Request", "TwilioServer"]

#: Answers a request's form fields with (status, JSON body or None).
Responder = Callable[[dict[str, str]], tuple[int, dict | None]]


@dataclass
class Request:
    """One request the server received."""

    method: str
    path: str
    authorization: str | None
    content_type: str | None
    form: dict[str, str]
    connection: int


_sids = itertools.count(1)


def _created(form: dict[str, str]) -> tuple[int, dict]:
    sid = f"SM{next(_sids):032x}"
    return 201, {"sid": sid, "status": "queued", "to": form.get("To"), "body": form.get("Body")}


@dataclass
class TwilioServer:
    """``with TwilioServer() as server:``; ``server.url`` is the TWILIO_BASE_URL, ``server.respond`` the behaviour."""

    respond: Responder = _created
    requests: list[Request] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable
            disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms delayed-ACK stall

            def setup(self):
                super().setup()
                outer.connections += 1
                self.connection_number = outer.connections

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
                outer.requests.append(Request("POST", self.path, self.headers.get("Authorization"),
                                              self.headers.get("Content-Type"), form, self.connection_number))
                status, payload = outer.respond(form)
                data = json.dumps(payload).encode() if payload is not None else b"<html>oops</html>"
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if payload is not None else "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> TwilioServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

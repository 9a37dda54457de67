"""Load benchmark of resident survey submissions (``POST /s/<token>``) under gunicorn.

The requirement it checks: under gunicorn with 4 workers, 64 concurrent clients
submitting valid answers on distinct one-time links reach

* at least 25% of the requests per second that a minimal Flask route of the
  same app reaches on the same server in the same run,
* a p99 latency of at most 150 ms,
* no errors, and
* exactly one stored response per 2xx answer,

on SQLite and on PostgreSQL.

Usage::

    .venv/bin/python tests/perf/bench_respond.py --db sqlite|postgres [--clients 64] [--requests N]
        [--workers 4] [--rounds 3] [--json] [--profile FILE.svg]

Exit status: 0 when every criterion passes, 1 when one fails, 2 when the run
could not be set up (bad arguments, database unreachable, server did not boot).
tests/perf/README.md explains what is measured and how.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import itertools
import json
import math
import os
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
MINIMAL_PATH = "/_bench/minimal"  # routes added by tests/perf/wsgi.py
WORKER_PATH = "/_bench/worker"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

#: The requirement's thresholds.
MIN_RATIO = 0.25
MAX_P99_MS = 150.0

#: The answers every client submits (valid for the "post_service" template).
ANSWERS = {"lang": "en", "csat": "4", "ces": "6", "fixed": "yes",
           "comment": "Quick fix, thank you. The pothole on Main St is gone."}
REQUEST_TIMEOUT = 30.0
_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')


class SetupError(Exception):
    """The benchmark could not run (as opposed to running and failing a criterion)."""


# --- options --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """What to run: database, load and server settings."""

    db: str
    database_url: str
    clients: int
    requests: int
    rounds: int
    workers: int
    worker_class: str
    threads: int
    worker_connections: int
    keep_alive: int
    as_json: bool
    profile: Path | None

    @property
    def warm_up_submissions(self) -> int:
        """Unmeasured submissions before the rounds, so every worker has compiled its templates and queries."""
        return 2 * self.clients


def parse_options(argv: Sequence[str] | None = None) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite", help="database backend")
    parser.add_argument("--database-url", default=os.environ.get("VOCAPP_TEST_DATABASE_URL") or DEFAULT_PG_URL,
                        help="PostgreSQL server for --db postgres (a fresh schema is made and dropped)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients (keep-alive connections)")
    parser.add_argument("--requests", type=int, default=3000, help="measured submissions (distinct tokens)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternate submissions and baseline this many times (evens out background load)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--worker-class", choices=("gthread", "sync"), default="gthread", help="gunicorn worker class")
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker (see gunicorn.conf.py)")
    parser.add_argument("--worker-connections", type=int, default=16,
                        help="keep-alive connections a gthread worker holds at most (spreads clients evenly)")
    parser.add_argument("--keep-alive", type=int, default=5, help="gunicorn keep-alive timeout, seconds")
    parser.add_argument("--json", dest="as_json", action="store_true", help="print the results as JSON")
    parser.add_argument("--profile", type=Path, help="record the workers with py-spy during the measured rounds "
                                                     "(.svg flame graph, .json speedscope, .txt collapsed stacks)")
    args = parser.parse_args(argv)
    for name in ("clients", "requests", "rounds", "workers", "threads", "worker_connections"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.requests < args.rounds:
        parser.error("--requests must be at least --rounds")
    if args.profile and not py_spy():
        parser.error("--profile needs py-spy (pip install py-spy)")
    return Options(**vars(args))


# --- database: a fresh one per run -------------------------------------------------------------


@dataclass
class Target:
    """A fresh database and instance folder, described as the VOCAPP_* settings the app reads."""

    env: dict[str, str]
    drop: Callable[[], None]


def prepare_target(options: Options, workdir: Path) -> Target:
    """SQLite: a file in a fresh instance folder. PostgreSQL: a fresh schema (dropped by `drop`)."""
    instance = workdir / "instance"
    env = {
        "VOCAPP_INSTANCE_PATH": str(instance),
        "VOCAPP_SECRET_KEY": secrets.token_hex(32),
        "VOCAPP_SESSION_COOKIE_SECURE": "false",
        # The limiter stays on (its cost is part of every request) but never throttles the benchmark.
        "VOCAPP_RESIDENT_RATE_LIMIT": "1000000 per minute",
    }
    if options.db == "sqlite":
        env["VOCAPP_DATABASE_URL"] = f"sqlite:///{instance / 'bench.sqlite3'}"
        return Target(env, drop=lambda: None)

    import sqlalchemy as sa

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    env["VOCAPP_DATABASE_URL"] = options.database_url
    env["VOCAPP_DATABASE_SCHEMA"] = schema
    engine = sa.create_engine(options.database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        raise SetupError(f"PostgreSQL at {options.database_url} is unreachable: {exc}") from exc

    def drop() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()

    return Target(env, drop)


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """Run with exactly these VOCAPP_* variables (others removed), restoring the environment after."""
    saved = dict(os.environ)
    for key in [k for k in os.environ if k.startswith("VOCAPP_")]:
        del os.environ[key]
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def build_app(target: Target):
    """The real app on the target database, migrated to head."""
    from vocapp import create_app, migrate

    with environment(target.env):
        app = create_app()
    migrate.upgrade(app)
    return app


def seed(app, count: int) -> list[str]:
    """A department, a published "post_service" survey and `count` sent invitations; returns their tokens."""
    from sqlalchemy import insert

    from vocapp.db import db
    from vocapp.models import Invitation, InvitationState
    from vocapp.services.departments import create_department
    from vocapp.services.surveys import create_survey, publish
    from vocapp.tokens import hash_token, new_token

    tokens = [new_token() for _ in range(count)]
    with app.app_context():
        department = create_department(None, code="BEN", name="Bench")
        survey = create_survey(None, department=department, name="Bench survey", template="post_service")
        version = publish(None, survey)
        db.session.execute(insert(Invitation), [
            {"survey_id": survey.id, "survey_version_id": version.id, "department_id": department.id,
             "token_hash": hash_token(token), "language": "en", "channel": "email",
             "state": InvitationState.SENT, "is_test": False}
            for token in tokens
        ])
        db.session.commit()
        db.engine.dispose()
    return tokens


@dataclass(frozen=True)
class Stored:
    """What the database holds after the run."""

    responses: int
    distinct_invitations: int
    answered_invitations: int
    answers: int
    #: True when the responses belong to exactly the tokens whose submission answered 200.
    match_successes: bool


def count_stored(app, succeeded: set[str]) -> Stored:
    """Count responses, answers and answered invitations, and match them to the successful tokens."""
    from sqlalchemy import distinct, func, select

    from vocapp.db import db
    from vocapp.models import Answer, Invitation, InvitationState, Response
    from vocapp.tokens import hash_token

    with app.app_context():
        def scalar(query) -> int:
            return int(db.session.scalar(query) or 0)

        stored = Stored(
            responses=scalar(select(func.count()).select_from(Response)),
            distinct_invitations=scalar(select(func.count(distinct(Response.invitation_id)))),
            answered_invitations=scalar(select(func.count()).select_from(Invitation)
                                        .where(Invitation.state == InvitationState.ANSWERED)),
            answers=scalar(select(func.count()).select_from(Answer)),
            match_successes=set(db.session.scalars(select(Invitation.token_hash).join(
                Response, Response.invitation_id == Invitation.id))) == {hash_token(t) for t in succeeded},
        )
        db.session.remove()
        db.engine.dispose()
    return stored


# --- the server ---------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on the loopback interface nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving tests.perf.wsgi:create_bench_app() in a subprocess; a context manager that stops it."""

    def __init__(self, options: Options, env: dict[str, str], log_path: Path):
        self.options = options
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VOCAPP_")} | env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def command(self) -> list[str]:
        o = self.options
        return [sys.executable, "-m", "gunicorn", "tests.perf.wsgi:create_bench_app()", "--chdir", str(ROOT),
                "-b", f"{HOST}:{self.port}", "-w", str(o.workers), "--worker-class", o.worker_class,
                "--threads", str(o.threads), "--worker-connections", str(o.worker_connections),
                "--keep-alive", str(o.keep_alive), "--log-level", "warning"]

    def __enter__(self) -> Server:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM the master (it stops its workers), then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the workers have used so far; None where /proc is missing."""
        return children_cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 30) -> str:
        """The end of gunicorn's output, to explain a failure."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Wait until every worker has answered once, so no worker is still importing the app."""
        deadline = time.monotonic() + timeout
        seen: set[str] = set()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SetupError(f"gunicorn exited with status {self.process.returncode}:\n{self.log_tail()}")
            seen |= asyncio.run(_worker_ids(self.port, 2 * self.options.workers))
            if len(seen) >= self.options.workers:
                return
            time.sleep(0.2)
        raise SetupError(f"only {len(seen)} of {self.options.workers} gunicorn workers answered within "
                         f"{timeout:.0f} s:\n{self.log_tail()}")


def children_cpu_seconds(parent: int) -> float | None:
    """CPU time used so far by the live child processes of `parent` (Linux /proc), or None."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(fields[1]) == parent:  # fields: state, ppid, ..., utime (11), stime (12)
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def _worker_ids(port: int, attempts: int) -> set[str]:
    """The process ids of the workers that answer `attempts` fresh connections."""
    request = http_request("GET", WORKER_PATH, port)

    async def ask() -> str | None:
        conn = Connection(port)
        try:
            reply = await conn.send(request)
        finally:
            await conn.close()
        return reply.body.decode() if reply.status == 200 else None

    return {pid for pid in await asyncio.gather(*(ask() for _ in range(attempts))) if pid}


def py_spy() -> str | None:
    """The py-spy executable, looked for beside this Python first."""
    return shutil.which("py-spy", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))


@contextlib.contextmanager
def profiler(options: Options, server: Server) -> Iterator[None]:
    """Record the gunicorn workers with py-spy while the block runs (when --profile is given)."""
    if options.profile is None:
        yield
        return
    fmt = {".svg": "flamegraph", ".json": "speedscope"}.get(options.profile.suffix, "raw")
    spy = subprocess.Popen([py_spy(), "record", "--pid", str(server.process.pid), "--subprocesses",
                            "--nonblocking", "--format", fmt, "--output", str(options.profile)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()


# --- a small HTTP/1.1 client ------------------------------------------------------------------------
# Hand-written on asyncio streams: the load generator shares the machine's two cores with
# the server, and a general-purpose client (aiohttp) spends several times more CPU per
# request, which would slow the baseline far more than the submissions.


def http_request(method: str, path: str, port: int, cookie: str = "", body: bytes = b"") -> bytes:
    """The bytes of one request (a form body when `body` is given)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    if body:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


@dataclass(frozen=True)
class Reply:
    """One answer: status 0 stands for a transport error (refused, reset, timed out)."""

    status: int
    seconds: float
    body: bytes = b""
    headers: dict[bytes, bytes] = field(default_factory=dict)


class Connection:
    """One keep-alive connection, opened on first use and again after the server closes it."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, request: bytes) -> Reply:
        """Send a request and read its whole answer; the time includes (re)connecting."""
        start = time.perf_counter()
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
                self.writer.write(request)
                status, headers = _parse_head(await self.reader.readuntil(b"\r\n\r\n"))
                body = await self.reader.readexactly(int(headers[b"content-length"]))
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                KeyError, ValueError) as exc:
            await self.close()
            return Reply(0, time.perf_counter() - start, repr(exc).encode())
        if headers.get(b"connection", b"").lower() == b"close":
            await self.close()
        return Reply(status, time.perf_counter() - start, body, headers)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


def _parse_head(head: bytes) -> tuple[int, dict[bytes, bytes]]:
    """Status code and headers (lower-case names) of a response head."""
    status_line, *lines = head[:-4].split(b"\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split(b" ", 2)[1]), headers


class Pool:
    """The clients' connections, kept open across phases so baseline and submissions share them."""

    def __init__(self, port: int, size: int):
        self.connections = [Connection(port) for _ in range(size)]

    async def send_all(self, requests: Sequence[bytes]) -> tuple[list[Reply], float]:
        """Send each request once, one client per connection; replies in request order, and the elapsed time."""
        replies: list[Reply] = [Reply(0, 0.0)] * len(requests)
        indexes = iter(range(len(requests)))

        async def client(conn: Connection) -> None:
            for i in indexes:
                replies[i] = await conn.send(requests[i])

        start = time.perf_counter()
        await asyncio.gather(*(client(conn) for conn in self.connections))
        return replies, time.perf_counter() - start

    async def send_for(self, request: bytes, seconds: float) -> tuple[list[Reply], float]:
        """Send the same request from every client until `seconds` have passed."""
        replies: list[Reply] = []
        start = time.perf_counter()
        deadline = start + seconds

        async def client(conn: Connection) -> None:
            while time.perf_counter() < deadline:
                replies.append(await conn.send(request))

        await asyncio.gather(*(client(conn) for conn in self.connections))
        return replies, time.perf_counter() - start

    async def close(self) -> None:
        await asyncio.gather(*(conn.close() for conn in self.connections))


# --- phases and figures ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """A token with the ready-made POST of valid answers (and a cookie, if the page set one)."""

    token: str
    request: bytes


def prepare_submission(token: str, port: int, reply: Reply) -> Submission:
    """From the survey page: its form token (and any cookie it set), then the answers' POST."""
    if reply.status != 200:
        raise SetupError(f"GET /s/<token> answered {reply.status}: {reply.body[:300]!r}")
    cookie = reply.headers.get(b"set-cookie", b"").decode("latin-1").split(";", 1)[0]
    tag = _CSRF_INPUT.search(reply.body.decode("utf-8", "replace"))
    value = _VALUE.search(tag.group(0)) if tag else None
    if value is None:
        raise SetupError("the survey page has no csrf_token field")
    body = urlencode({"csrf_token": html.unescape(value.group(1)), **ANSWERS}).encode("ascii")
    return Submission(token, http_request("POST", f"/s/{token}", port, cookie=cookie, body=body))


@dataclass
class Phase:
    """The figures of one kind of request over one stretch of time (or several, merged)."""

    statuses: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    client_cpu: float = 0.0
    #: CPU time of the gunicorn workers (None when it cannot be read).
    server_cpu: float | None = None

    @classmethod
    def merged(cls, phases: Sequence[Phase]) -> Phase:
        """One phase adding up several (e.g. the rounds)."""
        total = cls()
        for phase in phases:
            total.statuses.update(phase.statuses)
            total.latencies.extend(phase.latencies)
            total.seconds += phase.seconds
            total.client_cpu += phase.client_cpu
        servers = [p.server_cpu for p in phases]
        total.server_cpu = None if None in servers else sum(servers)
        return total

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def ok(self) -> int:
        return self.statuses[200]

    @property
    def errors(self) -> int:
        return self.requests - self.ok

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms(self) -> float | None:
        """The workers' CPU time per request, in milliseconds."""
        if self.server_cpu is None or not self.requests:
            return None
        return 1000 * self.server_cpu / self.requests

    def percentile_ms(self, p: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return 1000 * ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    def as_dict(self) -> dict:
        return {
            "requests": self.requests, "seconds": round(self.seconds, 3), "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile_ms(50), 1), "p95_ms": round(self.percentile_ms(95), 1),
            "p99_ms": round(self.percentile_ms(99), 1), "max_ms": round(self.percentile_ms(100), 1),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())}, "errors": self.errors,
            "client_cpu_percent": round(100 * self.client_cpu / self.seconds, 1) if self.seconds else None,
            "server_cpu_ms_per_request": None if self.server_cpu_ms is None else round(self.server_cpu_ms, 3),
        }


def cpu_seconds() -> float:
    """CPU time this process (the load generator) has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def timed(send, server: Server) -> tuple[Phase, list[Reply]]:
    """Await a Pool.send_* call; its figures (replies, wall time, client's and workers' CPU time) and replies."""
    client_before, server_before = cpu_seconds(), server.cpu_seconds()
    replies, seconds = await send
    client_cpu, server_after = cpu_seconds() - client_before, server.cpu_seconds()
    server_cpu = None if server_before is None or server_after is None else server_after - server_before
    statuses = Counter(r.status for r in replies)
    return Phase(statuses, [r.seconds for r in replies], seconds, client_cpu, server_cpu), replies


@dataclass
class Run:
    """Everything measured against the server."""

    warm_up: Phase = field(default_factory=Phase)
    #: (submissions, baseline) of each round.
    rounds: list[tuple[Phase, Phase]] = field(default_factory=list)
    #: Tokens whose submission answered 200.
    succeeded: set[str] = field(default_factory=set)

    @property
    def submissions(self) -> Phase:
        return Phase.merged([s for s, _ in self.rounds])

    @property
    def baseline(self) -> Phase:
        return Phase.merged([b for _, b in self.rounds])


def split(items: Sequence, parts: int) -> list[Sequence]:
    """`parts` consecutive slices of nearly equal length."""
    bounds = [round(i * len(items) / parts) for i in range(parts + 1)]
    return [items[a:b] for a, b in itertools.pairwise(bounds)]


async def measure(options: Options, server: Server, tokens: list[str], say: Callable[[str], None]) -> Run:
    """Open every link's page, warm up, then alternate submission rounds with baseline rounds as long."""
    run = Run()
    port = server.port
    pool = Pool(port, options.clients)
    minimal = http_request("GET", MINIMAL_PATH, port)
    try:
        say(f"opening the survey page of {len(tokens)} links (a form token each)")
        pages, _ = await pool.send_all([http_request("GET", f"/s/{t}", port) for t in tokens])
        submissions = [prepare_submission(t, port, page) for t, page in zip(tokens, pages, strict=True)]
        warm, measured = submissions[:options.warm_up_submissions], submissions[options.warm_up_submissions:]

        say(f"warm-up (not measured): {len(warm)} submissions, 2 s of the minimal route")
        run.warm_up = await _submit(pool, server, warm, run.succeeded)
        await pool.send_for(minimal, 2.0)

        with profiler(options, server):
            for number, chunk in enumerate(split(measured, options.rounds), start=1):
                submitted = await _submit(pool, server, chunk, run.succeeded)
                baseline, _ = await timed(pool.send_for(minimal, submitted.seconds), server)
                run.rounds.append((submitted, baseline))
                say(f"round {number}/{options.rounds}: {submitted.rps:.0f} submissions/s "
                    f"(p99 {submitted.percentile_ms(99):.0f} ms), {baseline.rps:.0f} minimal/s")
    finally:
        await pool.close()
    return run


async def _submit(pool: Pool, server: Server, chunk: Sequence[Submission], succeeded: set[str]) -> Phase:
    """POST each submission once; remember the tokens that answered 200."""
    phase, replies = await timed(pool.send_all([s.request for s in chunk]), server)
    succeeded.update(s.token for s, r in zip(chunk, replies, strict=True) if r.status == 200)
    return phase


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when installed (it halves the client's CPU per request), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


# --- criteria and report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    """One condition of the requirement, as measured."""

    name: str
    required: str
    measured: str
    passed: bool


def evaluate(run: Run, stored: Stored) -> list[Criterion]:
    """The requirement's four criteria."""
    sub, base = run.submissions, run.baseline
    ratio = sub.rps / base.rps if base.rps else 0.0
    p99 = sub.percentile_ms(99)
    errors = {"submissions": sub.errors + run.warm_up.errors, "minimal route": base.errors}
    successes = sub.ok + run.warm_up.ok
    one_each = (stored.responses == successes == stored.distinct_invitations == stored.answered_invitations
                and stored.match_successes)
    return [
        Criterion("submission rps / minimal-route rps", f">= {MIN_RATIO:.0%}",
                  f"{ratio:.1%} ({sub.rps:.0f} / {base.rps:.0f})", ratio >= MIN_RATIO),
        Criterion("p99 latency of submissions", f"<= {MAX_P99_MS:.0f} ms", f"{p99:.1f} ms", p99 <= MAX_P99_MS),
        Criterion("errors", "0", ", ".join(f"{n} {k}" for k, n in errors.items()), not any(errors.values())),
        Criterion("one stored response per 2xx", f"{successes} (= 2xx)",
                  f"{stored.responses} stored, on {stored.distinct_invitations} links"
                  + ("" if stored.match_successes else ", not the links answered 2xx"), one_each),
    ]


def _cpu_ratio(run: Run) -> float | None:
    """The workers' CPU per minimal request over their CPU per submission."""
    base, sub = run.baseline.server_cpu_ms, run.submissions.server_cpu_ms
    return round(base / sub, 4) if base and sub else None


def results(options: Options, run: Run, stored: Stored, criteria: list[Criterion], context: dict) -> dict:
    """The machine-readable results (--json)."""
    return {
        "settings": {"db": options.db, "clients": options.clients, "requests": options.requests,
                     "rounds": options.rounds, "warm_up_submissions": options.warm_up_submissions,
                     "gunicorn": {"workers": options.workers, "worker_class": options.worker_class,
                                  "threads": options.threads, "worker_connections": options.worker_connections,
                                  "keep_alive": options.keep_alive}},
        "baseline": run.baseline.as_dict(),
        "submissions": run.submissions.as_dict(),
        "warm_up_submissions": run.warm_up.as_dict(),
        "ratio": round(run.submissions.rps / run.baseline.rps, 4) if run.baseline.rps else None,
        "server_cpu_ratio": _cpu_ratio(run),
        "rounds": [{"submission_rps": round(s.rps, 1), "baseline_rps": round(b.rps, 1),
                    "ratio": round(s.rps / b.rps, 4) if b.rps else None, "submission_p99_ms": round(s.percentile_ms(99), 1)}
                   for s, b in run.rounds],
        "successes": run.submissions.ok + run.warm_up.ok,
        "stored": vars(stored),
        "criteria": [vars(c) for c in criteria],
        "passed": all(c.passed for c in criteria),
        **context,
    }


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def render_table(res: dict) -> str:
    """The results as a table a person reads."""
    s, g = res["settings"], res["settings"]["gunicorn"]
    threads = (f" x {g['threads']} thread(s), {g['worker_connections']} connections each"
               if g["worker_class"] == "gthread" else "")
    lines = [
        f"respond benchmark: {s['db']}; gunicorn {g['workers']} {g['worker_class']} workers{threads}, "
        f"keep-alive {g['keep_alive']} s; {s['clients']} clients; {s['requests']} submissions in {s['rounds']} "
        f"rounds (+{s['warm_up_submissions']} warm-up); client loop {res['event_loop']}",
        f"load average before/after: {res['load_before']:.2f} / {res['load_after']:.2f} (the machine's cores are "
        "shared with whatever else runs)",
        "",
        f"{'':22}{'requests':>9}{'seconds':>9}{'rps':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'client CPU':>12}{'server CPU ms/req':>19}",
    ]
    for label, key in (("minimal route (GET)", "baseline"), ("submissions (POST)", "submissions")):
        p = res[key]
        lines.append(f"{label:22}{p['requests']:>9}{p['seconds']:>9.1f}{p['rps']:>9.1f}{p['p50_ms']:>9.1f}"
                     f"{p['p95_ms']:>9.1f}{p['p99_ms']:>9.1f}{p['errors']:>8}{p['client_cpu_percent']:>11.0f}%"
                     f"{_ms(p['server_cpu_ms_per_request']):>19}")
    cpu_ratio = res["server_cpu_ratio"]
    lines += [
        "",
        f"ratio submissions / minimal: {res['ratio']:.1%}   per round: "
        + ", ".join(f"{r['ratio']:.1%}" for r in res["rounds"]),
        "ratio of the workers' CPU per request (minimal / submission): "
        + ("n/a" if cpu_ratio is None else f"{cpu_ratio:.1%}")
        + "  (what the rps ratio tends to when the workers are CPU-bound)",
        f"submission statuses: {res['submissions']['statuses']} (+ warm-up {res['warm_up_submissions']['statuses']})",
        f"2xx answers: {res['successes']}   stored responses: {res['stored']['responses']}   distinct links: "
        f"{res['stored']['distinct_invitations']}   answered invitations: {res['stored']['answered_invitations']}"
        f"   answers: {res['stored']['answers']}",
        "",
        f"{'criterion':40}{'required':>16}  {'measured':<34}result",
    ]
    lines += [f"{c['name']:40}{c['required']:>16}  {c['measured']:<34}{'PASS' if c['passed'] else 'FAIL'}"
              for c in res["criteria"]]
    lines.append(f"\n{'PASS' if res['passed'] else 'FAIL'}")
    if res.get("server_log_tail"):
        lines += ["", "gunicorn log (tail):", res["server_log_tail"]]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------


def run_benchmark(options: Options, workdir: Path, say: Callable[[str], None]) -> dict:
    """Set up a fresh database and server, measure, verify the stored rows, tidy up; returns the results."""
    target = prepare_target(options, workdir)
    try:
        say(f"migrating a fresh {options.db} database and seeding "
            f"{options.requests + options.warm_up_submissions} invitations")
        app = build_app(target)
        tokens = seed(app, options.requests + options.warm_up_submissions)
        load_before = os.getloadavg()[0]
        with Server(options, target.env, workdir / "gunicorn.log") as server:
            say(f"starting gunicorn on port {server.port}: {' '.join(server.command[2:])}")
            server.wait_ready()
            with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
                run = runner.run(measure(options, server, tokens, say))
            server.stop()
            log_tail = server.log_tail()
        load_after = os.getloadavg()[0]
        stored = count_stored(app, run.succeeded)
    finally:
        target.drop()
    criteria = evaluate(run, stored)
    context = {"event_loop": "uvloop" if event_loop_factory() else "asyncio",
               "load_before": load_before, "load_after": load_after}
    res = results(options, run, stored, criteria, context)
    if not res["passed"] and log_tail:
        res["server_log_tail"] = log_tail
    return res


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)

    def say(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    workdir = Path(tempfile.mkdtemp(prefix="vocapp-bench-"))
    try:
        res = run_benchmark(options, workdir, say)
    except SetupError as exc:
        print(f"bench_respond: {exc}", file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(res, indent=2) if options.as_json else render_table(res))
    return 0 if res["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

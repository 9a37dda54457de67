"""WSGI entry that gunicorn serves during the respond benchmark.

``create_bench_app()`` builds the real application with `vocapp.create_app()`,
configured by ``VOCAPP_*`` environment variables (the benchmark sets the
database, schema, secret key, instance folder and a rate limit high enough not
to throttle), and adds two routes:

* ``GET /_bench/minimal`` answers "ok" without touching the database. It is
  the baseline: it runs through the same WSGI stack, before_request hooks (rate
  limiter, NUL-byte check), session handling and after_request hooks (security
  headers) as the survey page, so the ratio of the two throughputs isolates the
  cost of the survey submission itself.
* ``GET /_bench/worker`` answers the id of the worker process that served it;
  the benchmark polls it until every worker has booted, so no measurement
  starts while a worker is still importing the app.

Run: ``gunicorn 'tests.perf.wsgi:create_bench_app()'`` (see tests/perf/README.md).
A factory rather than a module-level ``app``, so that importing this module
(pytest's doctest collection does) builds nothing.
"""

from __future__ import annotations

import os

from flask import Flask

__all__ = ["create_bench_app", "MINIMAL_PATH", "WORKER_PATH"]

#: The baseline route's path.
MINIMAL_PATH = "/_bench/minimal"
#: The readiness route's path.
WORKER_PATH = "/_bench/worker"


def minimal() -> str:
    """The cheapest page the app can serve: the benchmark's baseline."""
    return "ok"


def worker() -> str:
    """The serving worker's process id (readiness check)."""
    return str(os.getpid())


def create_bench_app() -> Flask:
    """The real vocapp application plus the benchmark's two routes."""
    from vocapp import create_app

    app = create_app()
    app.add_url_rule(MINIMAL_PATH, "bench_minimal", minimal, methods=["GET"])
    app.add_url_rule(WORKER_PATH, "bench_worker", worker, methods=["GET"])
    return app

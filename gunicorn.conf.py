"""gunicorn settings for serving vocapp: `gunicorn 'vocapp:create_app()'` reads this file.

Measured with tests/perf/bench_respond.py on 2 cores: one thread per worker
avoids GIL contention between a worker's threads (the app is CPU-bound), and
capping each worker's keep-alive connections spreads clients evenly over the
workers, which keeps the slowest requests close to the typical ones. Put a
reverse proxy (nginx) in front; it holds the many slow client connections.
"""

import os

bind = os.environ.get("VOCAPP_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "gthread"
threads = 1
worker_connections = 16
keepalive = 5
# Each worker builds its own app, so no database connection is shared across a fork.
preload_app = False
accesslog = os.environ.get("VOCAPP_ACCESS_LOG")  # e.g. "-" for stdout; off by default


def post_worker_init(worker):
    """Keep the garbage collector off the objects made while loading the app.

    Request handling makes many short-lived objects; with the app's modules,
    templates and compiled SQL frozen out of the collector's view, and fewer
    young-generation passes, collections stay short and rare (fewer slow requests).
    """
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 100)

"""Per-client rate limits on the endpoints that need them (sign-in, resident submissions).

The counting is the `limits` library's (moving windows in memory or Redis);
this module only decides what to count. It replaced Flask-Limiter, whose
per-request machinery cost as much as a whole resident submission's database
work (see tests/perf/README.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from functools import cache, wraps

from flask import Flask, current_app, request
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from vocapp.errors import ConfigError

__all__ = ["LockedMemoryStorage", "init_app", "limit"]


class LockedMemoryStorage(MemoryStorage):
    """``locked-memory://``: MemoryStorage whose expiry sweep is started under a lock.

    limits 5.8's MemoryStorage restarts its sweep timer from every request without
    a lock, so two threads of a gthread worker can start the same timer and one
    request fails ("threads can only be started once"; fixed upstream in
    alisaifee/limits#352, unreleased). It also starts a thread for most requests;
    here the sweep runs at most once a second, since reads expire keys anyway.
    """

    STORAGE_SCHEME = ["locked-memory"]
    #: Seconds between sweeps of expired keys.
    SWEEP_EVERY = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        self._sweep_lock = threading.Lock()
        self._next_sweep = 0.0
        super().__init__(uri, wrap_exceptions, **options)

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the parent's private method
        now = time.monotonic()
        if now < self._next_sweep:
            return
        with self._sweep_lock:
            if now < self._next_sweep or self.timer.is_alive():
                return
            self._next_sweep = now + self.SWEEP_EVERY
            self.timer = threading.Timer(0.01, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


@cache
def _item(text: str) -> RateLimitItem:
    return parse(text)


def init_app(app: Flask) -> None:
    """Create the app's limiter on the configured storage."""
    uri = str(app.config["RATELIMIT_STORAGE_URI"])
    try:
        storage = storage_from_string(uri)
    except Exception as exc:  # limits raises ConfigurationError, or a driver's ImportError
        raise ConfigError(f"RATELIMIT_STORAGE_URI {uri!r} is not usable: {exc}") from exc
    app.extensions["vocapp.ratelimit"] = MovingWindowRateLimiter(storage)


def limit(setting: str, *, methods: tuple[str, ...] = ("POST",)) -> Callable:
    """Limit a view per client IP to the rate in config[`setting`], e.g. "30 per minute"."""

    def decorator(view: Callable) -> Callable:
        scope = f"{view.__module__}.{view.__name__}"

        @wraps(view)
        def wrapped(*args, **kwargs):
            config = current_app.config
            if request.method in methods and config["RATELIMIT_ENABLED"]:
                item = _item(config[setting])
                limiter: MovingWindowRateLimiter = current_app.extensions["vocapp.ratelimit"]
                if not limiter.hit(item, scope, request.remote_addr or "-"):
                    reset = limiter.get_window_stats(item, scope, request.remote_addr or "-").reset_time
                    retry = max(1, int(reset - time.time()))
                    raise TooManyRequests(retry_after=retry)
            return view(*args, **kwargs)

        return wrapped

    return decorator

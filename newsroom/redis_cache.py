"""Django's Redis cache behind a circuit breaker.

A Redis that accepts connections and never answers costs each cache call its whole socket
timeout (0.5 s): several per page. After `FAILURES` failed calls in a row the breaker opens:
every call fails at once with `CacheSkipped` (callers already treat cache errors as a miss and
serve from the database), and a background thread pings Redis after 1 s, then 2, 4, ... up to
30 s, closing the breaker at the first answer. No request ever waits for the probe; the
opening and the recovery are logged once each.
"""

import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)


_recovery_callbacks = []


def on_recovery(callback):
    """Call `callback()` whenever an unreachable cache answers again."""
    _recovery_callbacks.append(callback)


class CacheSkipped(ConnectionError):
    """The cache is being skipped after repeated failures."""


class CircuitBreaker:
    FAILURES = 3
    FIRST_PAUSE = 1.0
    LONGEST_PAUSE = 30.0

    def __init__(self, probe):
        self._probe = probe  # a callable that raises while the service is unreachable
        self._lock = threading.Lock()
        self._failures = 0
        self.open = False

    def succeeded(self):
        if self._failures:
            self._failures = 0

    def failed(self, exc):
        with self._lock:
            self._failures += 1
            if self.open or self._failures < self.FAILURES:
                return
            self.open = True
        logger.warning(
            "Cache unreachable after %d failures (%r): skipping it, retrying in the background",
            self.FAILURES,
            exc,
        )
        threading.Thread(target=self._recover, name="cache-breaker", daemon=True).start()

    def _recover(self):
        pause = self.FIRST_PAUSE
        while True:
            time.sleep(pause)
            try:
                self._probe()
            except Exception:
                pause = min(pause * 2, self.LONGEST_PAUSE)
                continue
            with self._lock:
                self._failures = 0
                self.open = False
            logger.warning("Cache reachable again: using it")
            for callback in _recovery_callbacks:
                try:
                    callback()
                except Exception as exc:
                    logger.warning("After the cache came back: %r", exc)
            return


def _guarded(unguarded):
    def method(self, *args, **kwargs):
        breaker = self.breaker
        if breaker.open:
            raise CacheSkipped("cache skipped after repeated failures")
        try:
            result = unguarded(self, *args, **kwargs)
        except Exception as exc:
            breaker.failed(exc)
            raise
        breaker.succeeded()
        return result

    method.__name__ = unguarded.__name__
    method.__doc__ = unguarded.__doc__
    return method


# One breaker per Redis location and process, shared by the threads' cache objects (Django
# makes one per thread).
_breakers = {}
_breakers_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    GUARDED = (
        "add",
        "get",
        "set",
        "touch",
        "delete",
        "get_many",
        "has_key",
        "incr",
        "set_many",
        "delete_many",
        "clear",
    )

    def __init__(self, server, params):
        super().__init__(server, params)
        key = tuple(self._servers)
        with _breakers_lock:
            if key not in _breakers:
                _breakers[key] = CircuitBreaker(probe=lambda: self._cache.get_client().ping())
            self.breaker = _breakers[key]


def raw(self, call):
    """`call(client)` with the redis client itself, for what Django's API lacks."""
    return call(self._cache.get_client(write=True))


for _method in [*(getattr(RedisCache, name) for name in ResilientRedisCache.GUARDED), raw]:
    setattr(ResilientRedisCache, _method.__name__, _guarded(_method))

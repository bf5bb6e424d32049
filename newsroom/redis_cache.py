"""Django's Redis cache behind a circuit breaker.

A Redis that accepts connections and never answers costs each cache call its whole socket
timeout (0.5 s): several per page. After `FAILURES` failed calls in a row the breaker opens:
every call fails at once with `CacheSkipped` (callers already treat cache errors as a miss and
serve from the database), and a background thread pings Redis after 1 s, then 2, 4, ... up to
30 s, closing the breaker at the first answer. No request ever waits for the probe; the
opening and the recovery are logged once each.
"""

import logging
import os
import threading
import time
from typing import NamedTuple

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

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


class KeptClientRedisCacheClient(RedisCacheClient):
    """Django's client makes a `redis.Redis` object for every call, which costs more than the
    round trip itself (~50 µs); one per connection pool is kept instead (a `redis.Redis` is
    safe to share: each command takes a connection from the pool)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class Commands(NamedTuple):
    packed: bytes  # in Redis's protocol (RESP), sent as they are
    replies: int


class PackedReads:
    """Commands packed once (`pack`), sent together on one connection per thread, their replies
    read back (`reads(commands)`), through the breaker: for the page cache's hit path
    (newsroom/page_copies.py), where redis-py's own command path (a client object, the pool,
    encoding, hooks) cost three times the round trip itself."""

    def __init__(self, backend):
        self._pool = backend._cache.get_client(write=True).connection_pool
        self._breaker = backend.breaker
        self._local = threading.local()

    @staticmethod
    def pack(*commands, atomic=False):
        if atomic:
            commands = (("MULTI",), *commands, ("EXEC",))
        return Commands(b"".join(_packed(*command) for command in commands), len(commands))

    def __call__(self, commands):
        """The replies (of EXEC only, for atomic commands). Raises ResponseError for a
        command Redis refused (the connection is fine: not a failure for the breaker)."""
        if self._breaker.open:
            raise CacheSkipped("cache skipped after repeated failures")
        try:
            try:
                replies = self._send(commands)
            except RedisConnectionError:
                # A connection Redis closed since (a restart, an idle timeout): once more on
                # a new one before it counts as a failure.
                replies = self._send(commands)
        except ResponseError:
            raise
        except Exception as exc:
            self._breaker.failed(exc)
            raise
        self._breaker.succeeded()
        return replies

    def _send(self, commands):
        connection = self._connection()
        try:
            connection.send_packed_command([commands.packed], check_health=False)
            replies = [connection.read_response() for _ in range(commands.replies)]
        except BaseException:
            connection.disconnect()  # replies may be left unread: start afresh
            raise
        return replies

    def _connection(self):
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # none yet in this thread, or forked
            local.connection = self._pool.connection_class(**self._pool.connection_kwargs)
            local.pid = os.getpid()
        return local.connection


def _packed(*args):
    """A command in Redis's protocol (RESP)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


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
        self._class = KeptClientRedisCacheClient
        key = tuple(self._servers)
        with _breakers_lock:
            if key not in _breakers:
                _breakers[key] = CircuitBreaker(probe=lambda: self._cache.get_client().ping())
            self.breaker = _breakers[key]

    def packed_reads(self):
        """For the page cache's hit path (PackedReads)."""
        return PackedReads(self)


def raw(self, call):
    """`call(client)` with the redis client itself, for what Django's API lacks."""
    return call(self._cache.get_client(write=True))


for _method in [*(getattr(RedisCache, name) for name in ResilientRedisCache.GUARDED), raw]:
    setattr(ResilientRedisCache, _method.__name__, _guarded(_method))

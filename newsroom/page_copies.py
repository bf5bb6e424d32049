"""The page cache's hit path: each process keeps decoded copies of the pages it answers.

A stored page used to cost every hit, beyond the bytes sent: its name (an md5 of the URL), the
cache's key validation, a lock and the unpickling of the whole page, and with Redis the page
itself over the network. Now each process keeps the pages it found in the cache, decoded, and
answers from its copy only when the cache would have answered that very page:

- the content version is still the copy's, and not past its schedule;
- the cache still holds that very page under it: with the local-memory cache, the stored object
  the copy was decoded from; with Redis, the key with the expiry time (to the millisecond) the
  SET that stored it gave it, read with the version and the generation in one small round trip
  instead of the page;
- the copy is fresh by the same rules as the cache's (`freshness`).

Anything else (stale, taken down, a new version, a cache error) goes the usual way
(newsroom/cache.py), which renews the copy when it finds the page fresh. Bounded: at most
COPIES pages and COPIES_BYTES of them per process, the oldest dropped first.

Also here, read once rather than per request: the settings the hit path needs, and the page
names of the URLs asked for lately.
"""

import hashlib
import pickle
import threading
import time
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from redis.exceptions import ResponseError

from .content_version import VERSION_KEY, Freshness, freshness, parse_version, version_store
from .redis_cache import ResilientRedisCache
from .version_stores import CacheVersionStore, MappedVersionStore

COPIES = 200
COPIES_BYTES = 16 * 1024 * 1024
NAMES = 1024


class Copy(NamedTuple):
    token: str  # the content version it was stored under
    key: str  # the cache backend's own key for the stored page
    headers: list
    body: bytes
    keys: tuple  # what the page shows (newsroom.surrogate), for `freshness`
    generation: int
    # Which store of the page it was decoded from: local memory, the stored pickle itself;
    # Redis, the key's expiry time in milliseconds (set by the SET that stored it).
    stamp: object
    probe: object  # Redis: the packed commands that read what `current` checks


def normalised_query(query_string):
    """One spelling per query: parameters sorted, empty ones and the first page's number
    dropped (`?page=1&q=` is `/`)."""
    if not query_string:
        return ""
    pairs = [
        (name, value)
        for name, value in parse_qsl(query_string, keep_blank_values=False)
        if (name, value) != ("page", "1")
    ]
    return urlencode(sorted(pairs))


class HitPath:
    """What a hit needs, read from the settings once (again whenever a setting changes)."""

    def __init__(self):
        self.enabled = settings.PAGE_CACHE
        self.session_cookie = f"{settings.SESSION_COOKIE_NAME}="
        proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
        self.proxy_header = proxy[0] if proxy else None
        # Static files, media and the admin: looking them up would only cost a round trip.
        self.never_stored = tuple(
            "/" + url.strip("/") + "/"
            for url in (settings.STATIC_URL, settings.MEDIA_URL, "admin")
            if url and not url.startswith(("http://", "https://", "//"))
        )
        self.names = {}
        try:
            pages = _backend_pages(caches["default"], version_store())
            self.complete = True
        except Exception:
            # The cache path reports it (and degrades); this process tries again next request.
            pages, self.complete = None, False
        self.copies = Copies(pages)

    def bypass(self, environ):
        """Requests that may see something else than the public page: signed-in users,
        messages."""
        cookies = environ.get("HTTP_COOKIE")
        return bool(cookies) and (self.session_cookie in cookies or "messages=" in cookies)

    def page_name(self, environ):
        scheme = environ.get("wsgi.url_scheme", "http")
        if self.proxy_header:
            scheme += "+" + environ.get(self.proxy_header, "")
        asked = (
            scheme,
            environ.get("HTTP_HOST")
            or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}",
            environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
        )
        name = self.names.get(asked)
        if name is None:
            raw = "|".join((*asked[:3], normalised_query(asked[3])))
            name = "page:" + hashlib.md5(raw.encode(), usedforsecurity=False).hexdigest()
            if len(self.names) >= NAMES:
                self.names.clear()  # junk query strings must not grow it without end
            self.names[asked] = name
        return name


_hit_path = None


def hit_path():
    global _hit_path
    if _hit_path is None:
        path = HitPath()
        if not path.complete:
            return path
        _hit_path = path
    return _hit_path


def _forget(**kwargs):
    global _hit_path
    _hit_path = None


setting_changed.connect(_forget)


class Copies:
    def __init__(self, pages):
        self.pages = pages  # how this cache backend is read; None: no copies kept
        self._copies = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def fresh(self, name):
        """(version, copy) when the copy of `name` is what the cache would answer, or None.
        Raises whatever the cache raises."""
        copy = self._copies.get(name)
        if copy is None:
            return None
        current = self.pages.current(copy)
        if current is None:
            return None
        version, generation = current
        if freshness(version, name, copy.keys, copy.generation, generation) is Freshness.FRESH:
            return version, copy
        return None

    def keep(self, name, version, key, stored, found):
        """Keep a copy of the page `found` (decoded from `stored`), stored under `version`."""
        if self.pages is None:
            return
        try:
            copy = self.pages.copy(version.token, key, stored, found)
        except Exception:
            copy = None  # the page was answered all the same; the next hit tries again
        if copy is None:
            return
        size = self._size(copy)
        with self._lock:
            self._bytes += size - self._size(self._copies.pop(name, None))
            self._copies[name] = copy
            while len(self._copies) > COPIES or self._bytes > COPIES_BYTES:
                self._bytes -= self._size(self._copies.pop(next(iter(self._copies))))

    def get_many(self, keys, page):
        """The cache's `get_many`, and what a copy of `page` (one of `keys`) needs to tell it
        from another render of it, read with it (Redis), or None."""
        if not hasattr(self.pages, "get_many"):
            return cache.get_many(keys), None
        return self.pages.get_many(keys, page)

    def drop(self, name):
        with self._lock:
            self._bytes -= self._size(self._copies.pop(name, None))

    def __len__(self):
        return len(self._copies)

    @staticmethod
    def _size(copy):
        return 0 if copy is None else len(copy.body) + 64 * len(copy.headers)


def _backend_pages(backend, store):
    if type(backend) is LocMemCache and isinstance(store, MappedVersionStore):
        return LocalMemoryPages(backend, store)
    if isinstance(backend, ResilientRedisCache) and isinstance(store, CacheVersionStore):
        return RedisPages(backend, store)
    return None  # another cache backend: every hit reads the cache


class LocalMemoryPages:
    """Django's local-memory cache, read as its own `get` reads it (expiry, recency), without
    the per-call key validation, keeping the stored pickle a copy was decoded from."""

    def __init__(self, backend, store):
        self._make_key = backend.make_key
        self._data, self._expiry, self._lock = backend._cache, backend._expire_info, backend._lock
        self._store = store
        self._last = (None, None)

    def get(self, key):
        """(stored, value) for `key`, as the cache's `get` (None, None when absent)."""
        key = self._make_key(key)
        with self._lock:
            stored = self._data.get(key)
            expiry = self._expiry.get(key, -1)
            if stored is None or (expiry is not None and expiry <= time.time()):
                self._data.pop(key, None)
                self._expiry.pop(key, None)
                return None, None
            self._data.move_to_end(key, last=False)
        return stored, pickle.loads(stored)

    def copy(self, token, key, stored, found):
        return Copy(token, self._make_key(key), *found, stored, None)

    def current(self, copy):
        """(version, generation) when the cache still holds the copy's page under the current
        version, or None."""
        raw = self._store.read()
        last_raw, version = self._last
        if raw != last_raw:
            version = parse_version(raw)
            self._last = (raw, version)
        if version is None or version.token != copy.token or version.expired:
            return None
        key = copy.key
        with self._lock:
            if self._data.get(key) is not copy.stamp:
                return None  # replaced, deleted or culled since
            expiry = self._expiry.get(key, -1)
            if expiry is not None and expiry <= time.time():
                return None
            self._data.move_to_end(key, last=False)  # recently used: culled last
        return version, self._store.generation(copy.token)


# A key's expiry time in milliseconds (Redis 7): which SET stored the page there.
STAMP = "PEXPIRETIME"


class RedisPages:
    """Redis: the version and the generation are read for every hit (any instance may change
    content), with the stored page's expiry time in milliseconds (set by the SET that stored
    it: a new render of the page has another), and the page itself only when the copy will not
    do. One round trip. (PEXPIRETIME is Redis 7; before it, no copies are kept.)"""

    def __init__(self, backend, store):
        self._make_key = backend.make_key
        self._loads = backend._cache._serializer.loads
        self._reads = backend.packed_reads()
        self._store = store
        self._last = (None, None)
        self._unsupported = False

    def get_many(self, keys, page=None):
        """As the cache's `get_many`, and the stamp of `page` (one of `keys`) read with it, or
        None: one round trip."""
        commands = [("MGET", *(self._make_key(key) for key in keys))]
        if page is not None and not self._unsupported:
            commands.append((STAMP, self._make_key(page)))
        try:
            replies = self._reads(self._reads.pack(*commands, atomic=True))[-1]
        except ResponseError:
            if len(commands) == 1:
                raise
            self._unsupported = True  # an older Redis: every hit reads the page
            return self.get_many(keys)
        values = zip(keys, replies[0], strict=True)
        found = {key: self._loads(raw) for key, raw in values if raw is not None}
        return found, (replies[1] if len(replies) > 1 else None)

    def copy(self, token, key, stamp, found):
        if stamp is None or stamp <= 0:
            return None  # gone meanwhile, or no stamps on this Redis
        key = self._make_key(key)
        version_key = self._make_key(VERSION_KEY)
        generation_key = self._make_key(self._store.generation_key(token))
        probe = self._reads.pack(("MGET", version_key, generation_key), (STAMP, key))
        return Copy(token, key, *found, stamp, probe)

    def current(self, copy):
        (raw, generation), stamp = self._reads(copy.probe)
        if stamp != copy.stamp or generation is None:
            return None  # replaced or gone since
        last_raw, version = self._last
        if raw != last_raw:
            version = parse_version(self._loads(raw)) if raw is not None else None
            self._last = (raw, version)
        if version is None or version.token != copy.token or version.expired:
            return None
        return version, int(generation)

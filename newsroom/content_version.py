"""The content version: one token that every stored page and count is keyed by.

Any content change drops it (`bump_content_version`), so nothing stored under the old token is
served again. For that to hold, every process that can change content (any gunicorn worker,
the shell, a management command) and every process that serves pages must read and drop the
same version. Where it lives depends on the cache:

- a shared cache (Redis, memcached, a database or file cache): in the cache itself, next to
  the pages, so every worker of every instance sees it;
- Django's local-memory cache, which each process keeps to itself: in a small memory-mapped
  file (`PAGE_CACHE_VERSION_FILE`, by default one per database under `var/`). Every process on
  the machine maps the same page of memory, so a drop is seen by the next request of every
  worker, for the price of reading 128 bytes (a database query per request would cost more
  than the cached page itself). Pages stay per process; only the version is shared. Several
  instances on several machines need a shared cache (Redis): each machine would have its own
  file.

The version also records when the next scheduled entry goes public; from that moment it is
replaced, so a scheduled entry appears on time. The app says how to find that moment
(`watch_schedule`): this module knows no app.
"""

import contextvars
import hashlib
import logging
import mmap
import os
import secrets
import time
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import connections, transaction

logger = logging.getLogger(__name__)

VERSION_KEY = "newsroom:content-version"
# A version key lives this long even if nothing changes (every cache key has a lifetime); a
# version that expires is simply made again, and the pages stored under it are not served.
VERSION_SECONDS = 24 * 60 * 60


class Version(NamedTuple):
    token: str
    created: float
    next_change: float  # when the next scheduled entry goes public; 0 when none is scheduled

    @property
    def expired(self):
        return bool(self.next_change) and time.time() >= self.next_change

    def seconds_left(self, limit):
        """`limit`, capped so nothing outlives the next scheduled publication."""
        if not self.next_change:
            return limit
        return max(0, min(limit, int(self.next_change - time.time())))

    def serialise(self):
        return f"{self.token}|{self.created}|{self.next_change}"


@lru_cache(maxsize=8)
def parse_version(raw):
    try:
        token, created, next_change = raw.split("|")
        return Version(token, float(created), float(next_change or 0))
    except (AttributeError, ValueError):
        return None


# --- when the next scheduled change happens: the app tells us how to find out


def _no_schedule():
    return 0.0


_next_scheduled_time = _no_schedule


def watch_schedule(next_scheduled_time):
    """Register `next_scheduled_time()`: the Unix time of the next scheduled publication, or 0."""
    global _next_scheduled_time
    _next_scheduled_time = next_scheduled_time


# --- where the version lives


class CacheVersionStore:
    """In the shared cache, fetched together with the page in one round trip."""

    in_cache = True

    def read(self):
        return cache.get(VERSION_KEY)

    def write(self, raw):
        cache.set(VERSION_KEY, raw, VERSION_SECONDS)

    def drop(self):
        cache.delete(VERSION_KEY)


class MappedVersionStore:
    """In a memory-mapped file shared by every process on this machine (or, for a database
    that lives in one process's memory, in that process's memory only)."""

    in_cache = False
    SIZE = 128

    def __init__(self, path):
        self.path = path
        if path is None:
            self._map = mmap.mmap(-1, self.SIZE)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < self.SIZE:
                os.ftruncate(fd, self.SIZE)
            self._map = mmap.mmap(fd, self.SIZE)
        finally:
            os.close(fd)

    @property
    def shared(self):
        return self.path is not None

    def read(self):
        # A read racing a write sees a mix of two tokens: a token no page is stored under,
        # so the worst case is one extra render, never a stale page.
        return self._map[: self.SIZE].rstrip(b"\0").decode("ascii", "replace") or None

    def write(self, raw):
        self._map[: self.SIZE] = raw.encode("ascii")[: self.SIZE].ljust(self.SIZE, b"\0")

    def drop(self):
        self._map[: self.SIZE] = bytes(self.SIZE)


def _process_local_cache():
    return settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")


def _database_in_memory(settings_dict):
    name = str(settings_dict.get("NAME") or "")
    return settings_dict["ENGINE"].endswith("sqlite3") and (
        name in ("", ":memory:") or "mode=memory" in name or name.startswith("file:memorydb")
    )


def version_file_path():
    """The shared version file for the default database, or None for an in-memory database."""
    if settings.PAGE_CACHE_VERSION_FILE:
        return Path(settings.PAGE_CACHE_VERSION_FILE)
    database = connections["default"].settings_dict
    if _database_in_memory(database):
        return None
    identity = "|".join(str(database.get(k) or "") for k in ("ENGINE", "HOST", "PORT", "NAME"))
    digest = hashlib.md5(identity.encode(), usedforsecurity=False).hexdigest()[:16]
    return Path(settings.BASE_DIR) / "var" / f"content-version-{digest}"


_store = None


def version_store():
    global _store
    if _store is None:
        if _process_local_cache():
            path = version_file_path()
            try:
                _store = MappedVersionStore(path)
            except OSError as exc:
                raise ImproperlyConfigured(
                    f"The page cache cannot share its content version through {path}: {exc}. "
                    "Set PAGE_CACHE_VERSION_FILE to a writable path that every process of this "
                    "site uses, or use a shared cache (CACHE_URL=redis://...)."
                ) from exc
        else:
            _store = CacheVersionStore()
    return _store


def _forget_store(setting, **kwargs):
    global _store
    if setting in ("CACHES", "PAGE_CACHE_VERSION_FILE", "DATABASES"):
        _store = None


setting_changed.connect(_forget_store)


def check_freshness(processes):
    """Refuse, at start-up, a configuration in which a change could go unseen by some of the
    `processes` serving pages. Raises ImproperlyConfigured with what to do instead."""
    if not settings.PAGE_CACHE:
        return
    store = version_store()  # raises when the shared file cannot be made
    if processes > 1 and not store.in_cache and not store.shared:
        raise ImproperlyConfigured(
            f"The page cache cannot stay fresh with {processes} worker processes: the cache "
            "is local to each process and the database lives in one process's memory. Run one "
            "worker (GUNICORN_WORKERS=1), use a shared cache (CACHE_URL=redis://...), or turn "
            "the page cache off (PAGE_CACHE=false)."
        )


# --- the version of the request at hand

# The version one request works with, read at its first use (the page cache middleware gives
# each request a fresh holder): the count, the page and the key it is stored under then agree,
# and the store (or, with no cache at all, the database) is asked once per request, not per
# use. A bump empties the holder, so a request that changes content sees the new version.
_request_version = contextvars.ContextVar("newsroom_request_version", default=None)


def request_scope():
    """Give the current request its own version holder; returns the token to reset."""
    return _request_version.set({})


def end_request_scope(token):
    _request_version.reset(token)


def current_version():
    """The content version, made (one database query) when missing or past its schedule.

    Raises whatever the cache or the database raise; callers decide how to degrade.
    """
    holder = _request_version.get()
    if holder:
        return holder["version"]
    store = version_store()
    version = parse_version(store.read())
    if version is None or version.expired:
        version = Version(secrets.token_hex(8), time.time(), _next_scheduled_time())
        store.write(version.serialise())
    if holder is not None:
        holder["version"] = version
    return version


def bump_content_version(**kwargs):
    """Drop the content version now and again on commit (signal receivers call this).

    Now, so this process never serves what it just changed; on commit, so no other process
    keeps a page rendered between the first drop and the commit.
    """
    _drop_version()
    transaction.on_commit(_drop_version, robust=True)


def _drop_version():
    holder = _request_version.get()
    if holder:
        holder.clear()
    try:
        version_store().drop()
    except Exception:
        logger.exception("Could not drop the content version; cached pages may be stale")


def versioned_key(version, name):
    return f"newsroom:{version.token}:{name}"

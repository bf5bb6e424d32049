"""Where the content version, the generation and the records of changes live.

- `CacheVersionStore`: in the shared cache (Redis), next to the pages, for every worker of
  every instance;
- `MappedVersionStore`: with Django's local-memory cache (each process its own), in a small
  memory-mapped file that every process on the machine maps;
- `NoVersionStore`: with no cache at all.

`version_store()` picks one from the settings; `check_freshness()` refuses, at start-up, a
configuration in which some process could miss a change. newsroom/content_version.py says how
they are used.
"""

import fcntl
import hashlib
import mmap
import os
import struct
import threading
import zlib
from pathlib import Path

from django.conf import settings
from django.core.cache import cache, caches
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import connections

VERSION_KEY = "newsroom:content-version"
# A version key lives this long even if nothing changes (every cache key has a lifetime); a
# version that expires is simply made again, and the pages stored under it are not served.
VERSION_SECONDS = 24 * 60 * 60


# Every page and count is stored with the *generation* read when its render began; every
# change records, for each key it names, the generation it made. A page is fresh while none of
# its keys has a record newer than its own generation. Generations, not clock times: they are
# one counter for every process and instance, so no clock skew can make a stale page look fresh.
ANY_KEY = "*"  # carried by pages that name no keys, and recorded by every change
EVERY_PAGE = "newsroom:every-page"  # carried by every page: recorded when a schedule passes
SENTINEL = "newsroom:sentinel"  # present while the records of a version are complete

# Atomic: the next generation, then each key's record raised to it (never lowered: two changes
# racing must leave the newer one). One round trip.
RECORD_SCRIPT = """
local g = redis.call('INCR', KEYS[1])
for i = 1, 3 do redis.call('EXPIRE', KEYS[i], ARGV[1]) end
for i = 3, #ARGV do
  redis.call('ZADD', KEYS[2], 'GT', g, ARGV[i])
  if ARGV[2] == '1' then redis.call('ZADD', KEYS[3], 'GT', g, ARGV[i]) end
end
return g
"""


class RecordsLost(Exception):
    """The shared cache evicted part of a version's records: nothing under it can be trusted."""


class _RecordsMirror:
    """One process's copy of a version's records (key -> newest soft and hard generation),
    complete up to generation `synced`. Each record is written in the same atomic step as the
    generation it carries (RECORD_SCRIPT), so once a process has read generation G, a fetch
    returns every record up to G, and every record up to the newest score it returns."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset(None)

    def reset(self, token):
        self.token, self.synced, self.soft, self.hard = token, 0, {}, {}

    def covers(self, token, generation):
        return token == self.token and generation is not None and generation <= self.synced

    def add(self, token, soft, hard, generation):
        if token != self.token:
            self.reset(token)
        newest = max(self.synced, generation or 0)
        for records, fetched in ((self.soft, soft), (self.hard, hard)):
            for member, score in fetched:
                key = member.decode() if isinstance(member, bytes) else member
                records[key] = max(records.get(key, 0), int(score))
                newest = max(newest, int(score))
        self.synced = newest  # last: a reader that sees it finds the records it covers

    def newest(self, token, keys):
        soft, hard = self.soft, self.hard
        if token != self.token:
            return None
        return (
            max((soft.get(key, 0) for key in keys), default=0),
            max((hard.get(key, 0) for key in keys), default=0),
        )


class CacheVersionStore:
    """In the shared cache (Redis), fetched together with the page in one round trip. The
    generation and the key records live under the version's token, in Redis sorted sets whose
    members are the keys and whose scores are the generations that last touched them."""

    in_cache = True
    keeps_nothing = False

    def __init__(self):
        self._records_script = None
        self._records = _RecordsMirror()

    def _key(self, name):
        return cache.make_and_validate_key(name)

    @staticmethod
    def generation_key(token):
        return f"newsroom:{token}:generation"

    def read(self):
        return cache.get(VERSION_KEY)

    def write(self, raw):
        # The generation and the records exist before the version is visible: a change
        # recorded in between must find them, not create a counter the version then resets.
        token = raw.split("|", 1)[0]
        cache.add(self.generation_key(token), 1, VERSION_SECONDS)
        self._raw(
            lambda client: (
                client.pipeline()
                .zadd(self._key(f"newsroom:{token}:soft"), {SENTINEL: 0})
                .zadd(self._key(f"newsroom:{token}:hard"), {SENTINEL: 0})
                .expire(self._key(f"newsroom:{token}:soft"), VERSION_SECONDS)
                .expire(self._key(f"newsroom:{token}:hard"), VERSION_SECONDS)
                .execute()
            )
        )
        cache.set(VERSION_KEY, raw, VERSION_SECONDS)

    def drop(self):
        cache.delete(VERSION_KEY)

    def _raw(self, call):
        """A call on the redis client itself (sorted sets and scripts are beyond Django's
        cache API), through the backend's circuit breaker (newsroom.redis_cache)."""
        return caches["default"].raw(call)

    def generation(self, token):
        found = cache.get(self.generation_key(token))
        if found is None:
            raise RecordsLost(token)
        return int(found)

    def latest(self, token, keys, generation=None):
        """(soft, hard): the newest generations recorded for any of `keys`, from this process's
        copy of the records once it holds every change up to `generation` (the one read with
        the page). After a change each process fetches the new records once, in one round
        trip, rather than asking Redis for every page it serves."""
        records = self._records
        if not records.covers(token, generation):
            with records.lock:  # one thread fetches; the others then find the copy current
                if not records.covers(token, generation):
                    self._sync(token, generation)
        found = records.newest(token, keys)
        if found is None:  # another thread moved the copy on to a newer version meanwhile
            with records.lock:
                self._sync(token, generation)
                found = records.newest(token, keys)
        return found

    def _sync(self, token, generation):
        soft_key = self._key(f"newsroom:{token}:soft")
        hard_key = self._key(f"newsroom:{token}:hard")
        records = self._records
        since = records.synced if records.token == token else None
        low = "-inf" if since is None else f"({since}"
        sentinel, soft, hard = self._raw(
            lambda client: (
                client.pipeline(transaction=False)
                .zscore(soft_key, SENTINEL)
                .zrangebyscore(soft_key, low, "+inf", withscores=True)
                .zrangebyscore(hard_key, low, "+inf", withscores=True)
                .execute()
            )
        )
        if sentinel is None:
            records.reset(None)
            raise RecordsLost(token)
        records.add(token, soft, hard, generation)

    def record(self, token, keys, hard):
        keys = sorted(keys)
        names = [
            self._key(self.generation_key(token)),
            self._key(f"newsroom:{token}:soft"),
            self._key(f"newsroom:{token}:hard"),
        ]
        return self._raw(
            lambda client: client.eval(
                RECORD_SCRIPT, 3, *names, VERSION_SECONDS, "1" if hard else "0", *keys
            )
        )


class NoVersionStore:
    """With no cache at all (DummyCache): nothing is kept, so nothing can be stale."""

    in_cache = False
    shared = True
    keeps_nothing = True

    def read(self):
        return None

    def write(self, raw):
        pass

    drop = write

    def generation(self, token):
        return 0

    def latest(self, token, keys, generation=None):
        return 0, 0

    def record(self, token, keys, hard):
        return 0


class MappedVersionStore:
    """In a memory-mapped file shared by every process on this machine (or, for a database
    that lives in one process's memory, in that process's memory only).

    Layout: the version (128 bytes), the generation (8 bytes), then SLOTS pairs of generations
    (soft, hard). A key's record is the slot its name hashes to: two keys sharing a slot only
    make a page look changed when it is not (one extra render), never the reverse. Records
    outlive versions: generations only grow, so an old record never makes a new page stale.
    """

    in_cache = False
    keeps_nothing = False
    SIZE = 128
    SLOTS = 8192
    _GENERATION = struct.Struct("<Q")
    _SLOT = struct.Struct("<QQ")
    LENGTH = SIZE + _GENERATION.size + SLOTS * _SLOT.size

    def __init__(self, path):
        self.path = path
        self._thread_lock = threading.Lock()
        self._fd = None
        if path is None:
            self._map = mmap.mmap(-1, self.LENGTH)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size < self.LENGTH:
            os.ftruncate(self._fd, self.LENGTH)
        self._map = mmap.mmap(self._fd, self.LENGTH)

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

    def generation(self, token):
        return self._GENERATION.unpack_from(self._map, self.SIZE)[0]

    def _slot_offset(self, key):
        slot = zlib.crc32(key.encode()) % self.SLOTS
        return self.SIZE + self._GENERATION.size + slot * self._SLOT.size

    def latest(self, token, keys, generation=None):
        soft = hard = 0
        for key in keys:
            key_soft, key_hard = self._SLOT.unpack_from(self._map, self._slot_offset(key))
            soft, hard = max(soft, key_soft), max(hard, key_hard)
        return soft, hard

    def record(self, token, keys, hard):
        with self._thread_lock:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                # The records first, then the generation: a reader that sees the new
                # generation also sees every record made with it.
                generation = self.generation(token) + 1
                for key in keys:
                    offset = self._slot_offset(key)
                    _, key_hard = self._SLOT.unpack_from(self._map, offset)
                    self._SLOT.pack_into(
                        self._map, offset, generation, generation if hard else key_hard
                    )
                self._GENERATION.pack_into(self._map, self.SIZE, generation)
                return generation
            finally:
                if self._fd is not None:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)


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
        if settings.CACHES["default"]["BACKEND"].endswith("DummyCache"):
            _store = NoVersionStore()
        elif _process_local_cache():
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

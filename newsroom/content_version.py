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
import enum
import logging
import secrets
import time
from functools import lru_cache, partial
from typing import NamedTuple

from django.core.cache import cache
from django.db import transaction

from .redis_cache import on_recovery
from .version_stores import (  # noqa: F401  (the page cache imports them from here too)
    ANY_KEY,
    EVERY_PAGE,
    VERSION_KEY,
    RecordsLost,
    check_freshness,
    version_store,
)

logger = logging.getLogger(__name__)


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
    if holder and "version" in holder:
        return holder["version"]
    store = version_store()
    version = parse_version(store.read())
    if version is None:
        next_change = None
        if holder and store.keeps_nothing:
            next_change = holder.get("next_change")
        if next_change is None:
            next_change = _next_scheduled_time()
        version = Version(secrets.token_hex(8), time.time(), next_change)
        store.write(version.serialise())
    elif version.expired:
        # A scheduled entry has just gone public: every page may show it, so every page is
        # now stale, and each is served as it was while one request renders it again.
        version = version._replace(next_change=_next_scheduled_time())
        store.write(version.serialise())
        store.record(version.token, {EVERY_PAGE, ANY_KEY}, False)
    if holder is not None:
        holder["version"] = version
    return version


def note_next_change(next_change):
    """The app read when the next scheduled change happens (Unix time, 0 when none) in one of
    its own queries during this request. With no cache at all, where each request makes its own
    version, that version uses it instead of asking the database once more (one round trip,
    about a sixth of an uncached listing on PostgreSQL). With a cache, versions outlive the
    request and are made only from the schedule read when they are made."""
    holder = _request_version.get()
    if holder is not None and "version" not in holder:
        holder["next_change"] = next_change


def current_generation():
    """The generation this request's renders are stored with, read before the first of them
    (so a change committed while it renders makes what it stores stale, never the reverse)."""
    holder = _request_version.get()
    if holder and "generation" in holder:
        return holder["generation"]
    version = current_version()
    try:
        generation = version_store().generation(version.token)
    except RecordsLost:
        _drop_version()
        version = current_version()
        generation = version_store().generation(version.token)
    if holder is not None:
        holder["generation"] = generation
    return generation


class Freshness(enum.Enum):
    FRESH = "fresh"
    STALE = "stale"  # changed since: may be served while its new version is being made
    GONE = "gone"  # taken down since: never served


# Pages (by name and generation) this process found fresh, and at which generation: while the
# generation stays the same, they need no second look at their keys.
_verified = {}


def freshness(version, name, keys, stored_generation, generation):
    if stored_generation >= generation:
        return Freshness.FRESH
    memo = (version.token, name, stored_generation)
    if _verified.get(memo) == generation:
        return Freshness.FRESH
    try:
        soft, hard = version_store().latest(version.token, keys, generation)
    except RecordsLost:
        _drop_version()
        return Freshness.GONE
    if hard > stored_generation:
        return Freshness.GONE
    if soft > stored_generation:
        return Freshness.STALE
    if len(_verified) > 10_000:
        _verified.clear()
    _verified[memo] = generation
    return Freshness.FRESH


def remembered(name, keys, compute, timeout):
    """`compute()`, kept in the cache until a change names one of `keys`.

    Raises whatever the cache raises; callers decide how to degrade."""
    if version_store().keeps_nothing:
        return compute()  # no cache at all: nothing to look up, nothing to keep
    version, generation = current_version(), current_generation()
    key = versioned_key(version, name)
    found = cache.get(key)
    if found is not None:
        value, stored_keys, stored_generation = found
        if freshness(version, key, stored_keys, stored_generation, generation) is Freshness.FRESH:
            return value
    value = compute()
    cache.set(key, (value, (*keys, EVERY_PAGE), generation), timeout)
    return value


def remembered_or_computed(name, keys, compute, timeout):
    """`remembered()`, or with the cache down `compute()`: called once either way, even when
    the cache fails after it (storing the value)."""
    computed = []

    def compute_once():
        computed.append(compute())
        return computed[0]

    try:
        return remembered(name, keys, compute_once, timeout)
    except Exception:
        return computed[0] if computed else compute_once()


def record_change(keys, *, hard=False, claimed=None):
    """Record that what `keys` name has changed, when the change commits (and the version
    learns when the next scheduled entry goes public, one query).

    Not before: a page rendered while the change's transaction is open shows what was there
    before, so a record made then only had every process render each changed page twice per
    change (once during the transaction, once after), at the busiest moment.

    `claimed`, a list, receives the stored pages whose renders this process takes for itself
    (newsroom/page_renewal.py), their locks taken before the record; the caller renews them."""
    keys = frozenset(keys) | {ANY_KEY}
    after_commit(partial(_record, keys, hard, follow_schedule=True, claimed=claimed))


def after_commit(func):
    transaction.on_commit(func, robust=True)


def _record(keys, hard, follow_schedule=False, claimed=None):
    from . import page_renewal  # it reads the page cache's copies, which import this module

    holder = _request_version.get()
    if holder:
        holder.pop("generation", None)
    try:
        store = version_store()
        version = parse_version(store.read())
        if version is None:
            return
        if claimed is not None and not hard:
            # Before the record: from then on the pages' readers find them changed, and the
            # locks held here send each of them the stored copy while they renew.
            claimed.extend(page_renewal.claim(version, keys))
        store.record(version.token, keys, hard)
        if follow_schedule:
            # Inside the change's transaction, so it sees the change (a rollback only makes
            # the version expire early, which makes pages stale, not wrong).
            _follow_schedule(store, version)
    except Exception as exc:
        logger.warning("Could not record a change (%r); dropping every cached page instead", exc)
        if claimed:
            page_renewal.release(lock for lock, _request in claimed)
            claimed.clear()
        _drop_version()


def _follow_schedule(store, version):
    """An entry may have been scheduled sooner than the version expires: expire it then."""
    when = _next_scheduled_time()
    if when and (not version.next_change or when < version.next_change):
        latest = parse_version(store.read())  # another process may have moved it meanwhile
        if latest is not None and latest.token == version.token:
            sooner = min(filter(None, (when, latest.next_change)))
            store.write(latest._replace(next_change=sooner).serialise())


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
    except Exception as exc:
        # The cache is unreachable: so are its pages, and when it is back every process that
        # saw it fail drops the version (newsroom.redis_cache.on_recovery).
        logger.warning("Could not drop the content version: %r", exc)


# Changes made while the cache was unreachable were not recorded: pages it kept from before
# must not come back with it.
on_recovery(lambda: _drop_version())


def versioned_key(version, name):
    return f"newsroom:{version.token}:{name}"

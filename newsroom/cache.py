"""The page cache: public pages stored whole (final headers and body) and replayed as bytes.

Never stale, in every supported configuration:
- every key carries the *content version*, a random token that any save or delete of site
  content drops (`bump_content_version`), once at once and again when the transaction
  commits, so every process misses at its next request and renders from the database;
- the version lives where every process that can change content sees it (`version_store`):
  in the cache itself when the cache is shared (Redis: every worker, instance, shell and
  command), or, with the process-local default cache, in a small memory-mapped file that
  every process on the machine maps (a write is seen by the next read of any process, at the
  cost of a memory read rather than a database query);
- the version also records when the next scheduled entry goes public (the app tells us how
  to find out, `watch_schedule`); from that moment the version is replaced, so a scheduled
  entry appears on time, cache or not.

Bounded: only pages whose query string is made of parameters the view declared
(`accept_query`) are stored, under a normalised query (order, empty values, `page=1`), and
every key has a lifetime.

Fast: `PageCacheApp` (newsroom/wsgi.py) answers a cached anonymous GET before Django's handler
starts: from this process's decoded copy of the page while the cache still holds that very page
under the current version and it is fresh (newsroom/page_copies.py: no round trip with the
local-memory cache, one small one with Redis), else with one cache round trip. Under
gunicorn the worker sends such a page in one write (newsroom/gunicorn_stored_responses.py).
`PageCacheMiddleware` (outermost middleware) does the same inside Django (test client,
conditional requests), and stores what the full stack produced, with its ETag, Last-Modified
and Cache-Control, so a replay carries exactly the same headers.

Faults: any cache error is logged and the request goes the full, uncached way.
"""

import hashlib
import logging
import re
import time
from urllib.parse import parse_qsl

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, parse_http_date_safe

from . import page_renewal
from .background_render import renderer
from .content_version import (
    ANY_KEY,
    EVERY_PAGE,
    VERSION_KEY,
    Freshness,
    bump_content_version,
    current_generation,
    current_version,
    end_request_scope,
    freshness,
    parse_version,
    record_change,
    request_scope,
    version_store,
    versioned_key,
)
from .gunicorn_stored_responses import ENVIRON_KEY as SEND_STORED_RESPONSE
from .page_copies import hit_path, normalised_query
from .purge import purge_on_commit
from .redis_cache import CacheSkipped
from .surrogate import keys_of

__all__ = [
    "PageCacheApp",
    "PageCacheMiddleware",
    "accept_query",
    "bump_content_version",
    "normalised_query",
]

logger = logging.getLogger(__name__)

# URL namespaces and names that are never public pages.
PRIVATE_NAMESPACES = frozenset({"admin"})
PRIVATE_URL_NAMES = frozenset({"healthz", "media"})


_last_warning = 0.0


def _warn_cache_down(exc):
    """Log a cache failure at most every 30 seconds per process, not on every request."""
    global _last_warning
    if isinstance(exc, CacheSkipped):
        return  # the circuit breaker said so once already
    if time.monotonic() - _last_warning > 30:
        _last_warning = time.monotonic()
        logger.warning("Cache unavailable, serving from the database: %r", exc)


def _bypass(environ):
    """Requests that may see something else than the public page: signed-in users, messages."""
    return hit_path().bypass(environ)


def _page_name(environ):
    return hit_path().page_name(environ)


def accept_query(request, parameters):
    """A view says which query parameters it understands; with any other in the query, or
    one given twice, the page is not stored (junk query strings must not fill the cache)."""
    request.page_cache_parameters = frozenset(parameters)


def _query_accepted(request):
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return True
    known = getattr(request, "page_cache_parameters", frozenset())
    names = [name for name, _ in parse_qsl(query, keep_blank_values=False)]
    return len(names) == len(set(names)) and set(names) <= known


# The version this process saw last: with it, a hit costs one round trip (version and page
# fetched together), and a changed version costs a second one.
_seen_token = None


def cached_page(environ):
    """The stored (headers, body) to answer this request with, or None. Never raises.

    A page that changed since it was stored is still answered while another request renders
    its new version (that request holds the page's render lock, which lapses after
    PAGE_STALE_WHILE_REVALIDATE seconds); the first request to find it changed takes the lock
    and renders (environ["newsroom.render_lock"]). A page taken down since is never answered."""
    global _seen_token
    hits = hit_path()
    if not hits.enabled or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
        return None
    if environ.pop("newsroom.page_cache_missed", False):
        return None  # the WSGI wrapper already looked, moments ago
    if hits.bypass(environ) or environ.get("PATH_INFO", "").startswith(hits.never_stored):
        return None
    name = hits.page_name(environ)
    copies = hits.copies
    try:
        found = copies.fresh(name)
        if found is not None:
            version, copy = found
            return until_next_publication(copy.headers, version), copy.body
        store = version_store()
        blob = None
        if not store.in_cache:
            # The version is in shared memory: no round trip for it.
            version = parse_version(store.read())
            if version is None or version.expired:
                return None
            if copies.pages is not None:
                blob, stored = copies.pages.get(versioned_key(version, name))
            else:
                stored = cache.get(versioned_key(version, name))
            generation = store.generation(version.token) if stored else None
        else:
            guess = _seen_token
            wanted, page = [VERSION_KEY], None
            if guess:
                page = f"newsroom:{guess}:{name}"
                wanted += [page, store.generation_key(guess)]
            found, blob = copies.get_many(wanted, page)
            version = parse_version(found.get(VERSION_KEY))
            if version is None or version.expired:
                return None  # the full path makes a new version
            if version.token != guess:
                _seen_token = version.token
                page = versioned_key(version, name)
                found, blob = copies.get_many([page, store.generation_key(version.token)], page)
            stored = found.get(versioned_key(version, name))
            generation = found.get(store.generation_key(version.token))
        if stored is None or generation is None or len(stored) != 4:
            return None
        headers, body, keys, stored_generation = stored
        state = freshness(version, name, keys, stored_generation, generation)
        if state is Freshness.FRESH:
            copies.keep(name, version, versioned_key(version, name), blob, stored)
            return until_next_publication(headers, version), body
        copies.drop(name)
        if state is Freshness.STALE:
            lock = versioned_key(version, f"render:{name}")
            if _held_lately(lock) or not cache.add(lock, 1, settings.PAGE_STALE_WHILE_REVALIDATE):
                _held_locks[lock] = time.monotonic() + HELD_LOCK_MEMORY
                return not_for_shared_caches(headers), body  # its new version is on its way
            environ["newsroom.render_lock"] = lock
            environ["newsroom.stale_copy"] = (headers, body)  # if the render fails
        return None
    except Exception as exc:
        _warn_cache_down(exc)
        return None


# A render lock found held is remembered this long by the process (seconds), so a popular
# page's readers do not each ask the shared cache while its new version renders; short, so a
# render that fails (and frees its lock) is retried by this process's next reader soon after.
HELD_LOCK_MEMORY = 0.25
_held_locks = {}


def _held_lately(lock):
    until = _held_locks.get(lock)
    if until is None:
        return False
    if until > time.monotonic():
        return True
    _held_locks.pop(lock, None)
    if len(_held_locks) > 1000:  # bounded: one entry per page being rendered
        _held_locks.clear()
    return False


_S_MAXAGE = re.compile(r"s-maxage=\d+")


# Marks a stale copy answered while its new version renders (deploy/varnish/default.vcl keeps
# such a copy a moment instead of asking again for every request until then).
STALE_HEADER = "X-Newsroom-Stale"


def not_for_shared_caches(headers):
    """The headers of a stale copy answered while its new version renders: a shared cache in
    front (Varnish, a CDN) may serve it while it asks again, but must not keep it as fresh
    for a whole s-maxage (its stale-while-revalidate and stale-if-error still apply)."""
    return [
        (name, _S_MAXAGE.sub("s-maxage=0", value) if name.lower() == "cache-control" else value)
        for name, value in headers
    ] + [(STALE_HEADER, "1")]


_MAX_AGES = re.compile(r"(s-maxage|max-age)=(\d+)")


def until_next_publication(headers, version):
    """A stored copy's lifetimes were counted from when it was stored: while an entry is
    scheduled, count them down, so no cache in front keeps the copy past its publication."""
    if not version.next_change:
        return headers  # nothing scheduled: the stored headers as they are
    left = version.seconds_left

    def cap(match):
        return f"{match[1]}={left(int(match[2]))}"

    return [
        (name, _MAX_AGES.sub(cap, value) if name.lower() == "cache-control" else value)
        for name, value in headers
    ]


def _is_conditional(environ):
    return "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ


class PageCacheApp:
    """WSGI wrapper: replays a stored page without entering Django at all."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if _is_conditional(environ):
            # Rare for a cached page; the middleware answers 304s exactly as Django would.
            return self.application(environ, start_response)
        stored = cached_page(environ)
        if stored is None:
            stale = environ.get("newsroom.stale_copy")
            if stale is None or not self._render_in_background(environ):
                environ["newsroom.page_cache_missed"] = True
                return self.application(environ, start_response)
            # This reader took the changed page's render lock: it gets the stored copy, like
            # the others, and the new version renders off the request.
            stored = not_for_shared_caches(stale[0]), stale[1]
        headers, body = stored
        send = environ.get(SEND_STORED_RESPONSE)
        if send is not None and send(start_response, headers, body):
            return ()
        start_response("200 OK", headers)
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _render_in_background(self, environ):
        return settings.PAGE_RENDER_IN_BACKGROUND and renderer.submit(self.application, environ)


class PageCacheMiddleware:
    """Stores public anonymous pages with validators; answers hits and 304s."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        scope = request_scope()
        try:
            return self._respond(request)
        finally:
            end_request_scope(scope)
            lock = request.META.pop("newsroom.render_lock", None)
            if lock:
                # Stored or failed, this render is over: the next reader of a still-stale
                # page renders it again rather than being served the old one.
                _held_locks.pop(lock, None)
                try:
                    cache.delete(lock)
                except Exception as exc:
                    _warn_cache_down(exc)

    def _respond(self, request):
        stored = cached_page(request.META)
        if stored is not None:
            return get_conditional_response(
                request,
                etag=_header(stored[0], "ETag"),
                last_modified=_last_modified(stored[0]),
                response=_replay(request, stored),
            )
        started = time.time()
        generation = None
        if settings.PAGE_CACHE and request.method == "GET" and not _bypass(request.META):
            try:
                generation = current_generation()  # before the view reads anything
            except Exception as exc:
                _warn_cache_down(exc)
        response = self.get_response(request)
        stale = request.META.pop("newsroom.stale_copy", None)
        if stale is not None and response.status_code >= 500:
            # The database (or anything) failed while renewing a page that changed: the copy
            # from before the change beats an error page (stale-if-error, as Varnish does).
            return _replay(request, (not_for_shared_caches(stale[0]), stale[1]))
        if request.method not in ("GET", "HEAD") or not self._is_public(request, response):
            return response
        if _bypass(request.META):
            # A signed-in user's copy must never land in a shared cache in front of us.
            patch_cache_control(response, private=True)
            return response
        return self._finish_public(request, response, generation, started)

    @staticmethod
    def _is_public(request, response):
        match = request.resolver_match
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        if match is None or match.url_name in PRIVATE_URL_NAMES:
            return False
        if PRIVATE_NAMESPACES.intersection(match.namespaces):
            return False
        control = response.get("Cache-Control", "")
        if any(word in control for word in ("private", "no-store", "no-cache")):
            return False
        vary = {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}
        return vary <= {"cookie", "accept-encoding"}

    def _finish_public(self, request, response, generation, started):
        try:
            version = current_version()
        except Exception as exc:
            _warn_cache_down(exc)
            version = None
        body = response.content
        response["ETag"] = f'"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
        # When this render began: whatever changed before is in it.
        response["Last-Modified"] = http_date(started)
        lifetime = version.seconds_left if version else (lambda limit: limit)
        patch_cache_control(
            response,
            public=True,
            max_age=lifetime(settings.PAGE_MAX_AGE),
            s_maxage=lifetime(settings.PAGE_S_MAXAGE),
        )
        response["Content-Length"] = str(len(body))
        keep = version.seconds_left(settings.PAGE_CACHE_SECONDS) if version else 0
        if (
            settings.PAGE_CACHE
            and keep
            and generation is not None
            and request.method == "GET"
            and _query_accepted(request)
        ):
            keys = (*sorted(keys_of(response) or {ANY_KEY}), EVERY_PAGE)
            name = _page_name(request.META)
            try:
                cache.set(
                    versioned_key(version, name),
                    (list(response.items()), body, keys, generation),
                    keep,
                )
                page_renewal.remember(version, name, request.META, keys)
            except Exception as exc:
                _warn_cache_down(exc)
        return get_conditional_response(
            request, etag=response["ETag"], last_modified=int(started), response=response
        )


def _header(headers, name):
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


def _last_modified(headers):
    value = _header(headers, "Last-Modified")
    return parse_http_date_safe(value) if value else None


def _replay(request, stored):
    headers, body = stored
    response = HttpResponse(b"" if request.method == "HEAD" else body)
    for key, value in headers:
        response[key] = value
    return response


def invalidate(keys, *, hard=False):
    """The app tells the caches what changed: `keys` name what the changed pages show (the
    app's vocabulary, e.g. `entry-12`); `hard` for takedowns, which are never served stale.

    The page cache records the change (pages naming any of the keys are stale from now on,
    and gone when `hard`), the HTTP caches in front are purged by the same keys once the
    transaction commits (newsroom/purge.py), and then this process renders the changed pages
    (newsroom/page_renewal.py)."""
    claimed = []
    record_change(keys, hard=hard, claimed=claimed)
    purge_on_commit(keys, hard=hard)
    # Once the purges are queued: the caches in front ask again at once and are answered the
    # stored copy, not to keep, until each page is renewed.
    page_renewal.renew_on_commit(claimed)

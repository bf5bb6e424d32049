"""Changed pages renewed by the process that changed them (PAGE_RENEW_ON_COMMIT, with Redis).

Without this, the first reader to find a page changed renders it (newsroom/cache.py), in the
middle of the readers' traffic: during a publishing peak every publish sends a dozen renders
(the listing pages, the feeds, the topic pages, the neighbours) through the workers that are
answering readers, and every reader queued behind them waits.

With it, the process that commits a change renews the pages it changed, right after the
commit, and readers keep being answered the stored copies meanwhile:

1. every stored page is remembered under each key it shows, per content version, in Redis
   sets (only pages with no query or only a page number: the site's own pages, not one per
   search a reader typed, so the sets stay as small as the site);
2. when a change commits, the committing process looks up the pages that show its keys, takes
   their render locks *before* recording the change (so no reader takes them: they are answered
   the stored copy, as while any render runs), records it, queues the purges of the caches in
   front (which then ask again and get the stored copy, not to keep), and renders the pages,
   `/` first, before the save returns: the next request after a save (an editor's, a
   script's) gets the new page;
3. each render stores the new version and frees its lock like any reader's render; a render
   that fails frees its lock, so the next reader renders the page; pages not reached within
   RENEW_WITHIN seconds are left to their readers, and a lock left by a process that died
   lapses after RENEW_WITHIN seconds.

Takedowns are not renewed this way: a page taken down is never answered stale, so its next
reader renders it. With the local-memory cache each process has its own pages, so there is
nothing another process could be spared, and this is off.
"""

import contextvars
import functools
import json
import logging
import sys
import time
from functools import partial

from django.conf import settings
from django.core.cache import cache, caches
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.utils import translation

from . import background_render, content_version
from .page_copies import hit_path, normalised_query
from .version_stores import VERSION_SECONDS

logger = logging.getLogger(__name__)

# Set while this thread renews pages.
_renewing = contextvars.ContextVar("renewing", default=False)

# Seconds a change's renewal may take: a slow or cold process never keeps a change from
# readers for longer (its locks are freed, or lapse).
RENEW_WITHIN = 1

# At most this many pages renewed per change, the most visited kinds first; the others are
# left to their readers.
RENEW_LIMIT = 32

# The parts of a reader's request that name its page (newsroom/page_copies.py, page_name).
_REQUEST_PARTS = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
)


def _sets_key(token, key):
    return cache.make_and_validate_key(f"newsroom:{token}:shows:{key}")


def _enabled():
    return settings.PAGE_RENEW_ON_COMMIT and content_version.version_store().in_cache


def _renewable(query):
    return query == "" or (query.startswith("page=") and query[5:].isdigit())


def remember(version, name, environ, keys):
    """Note a page just stored under `version`, under each key it shows. Raises what the
    cache raises."""
    query = normalised_query(environ.get("QUERY_STRING", ""))
    if not _enabled() or not _renewable(query):
        return
    request = {part: environ[part] for part in _REQUEST_PARTS if part in environ}
    request["QUERY_STRING"] = query
    proxy = hit_path().proxy_header
    if proxy and proxy in environ:
        request[proxy] = environ[proxy]
    member = json.dumps([name, request], sort_keys=True)
    shown = [key for key in keys if key != content_version.EVERY_PAGE]

    def add(client):
        pipeline = client.pipeline(transaction=False)
        for key in shown:
            pipeline.sadd(_sets_key(version.token, key), member)
            pipeline.expire(_sets_key(version.token, key), VERSION_SECONDS)
        pipeline.execute()

    caches["default"].raw(add)


def _most_visited_first(page):
    _name, request = page
    query = request.get("QUERY_STRING", "")
    number = int(query[5:]) if query else 1
    return (number, request.get("PATH_INFO", "").count("/"), request.get("PATH_INFO", ""))


def claim(version, keys):
    """The pages showing `keys`, each with its render lock now held by this process. Never
    raises: with the cache failing, nothing is claimed and the readers render as before."""
    claimed = []
    try:
        if _renewing.get() or not _enabled():
            return claimed  # a render that changes something renews nothing itself
        found = caches["default"].raw(
            lambda client: client.sunion([_sets_key(version.token, key) for key in keys])
        )
        pages = sorted((json.loads(member) for member in found), key=_most_visited_first)
        for name, request in pages[:RENEW_LIMIT]:
            lock = content_version.versioned_key(version, f"render:{name}")
            if cache.add(lock, 1, min(RENEW_WITHIN, settings.PAGE_STALE_WHILE_REVALIDATE)):
                claimed.append((lock, request))
    except Exception as exc:
        logger.warning("Could not claim the changed pages' renders (%r)", exc)
        release(lock for lock, _request in claimed)
        return []
    return claimed


def renew_on_commit(claimed):
    """Renew, once the transaction commits, the pages `record_change` claims into `claimed`."""
    content_version.after_commit(partial(renew, claimed))


def renew(claimed):
    """Render the claimed pages, here and now (the committing request or command returns once
    they are stored, so the next reader after it gets the new version), within RENEW_WITHIN
    seconds: the locks of pages not reached by then are freed for their readers.

    Through Django's handler, not its WSGI entry: that would send request_started and
    request_finished inside the committing request, closing its database connection (with
    CONN_MAX_AGE=0) in the middle of it; and the language a page activates is put back."""
    if not claimed:
        return
    deadline = time.monotonic() + RENEW_WITHIN
    done = 0
    token = _renewing.set(True)
    try:
        with translation.override(translation.get_language()):
            for lock, request in claimed:
                if time.monotonic() > deadline:
                    break
                done += 1
                environ = {
                    **_WSGI,
                    **request,
                    "wsgi.errors": sys.stderr,
                    "newsroom.render_lock": lock,
                }
                try:
                    # The page cache's middleware stores the page and frees its lock (or,
                    # when the render fails, frees it so the next reader renders the page).
                    background_render.render(_render, background_render.render_environ(environ))
                except Exception:
                    logger.exception("Renewing %s failed", request.get("PATH_INFO"))
                    release([lock])
    except Exception:
        logger.exception("Renewing the changed pages failed")
    finally:
        _renewing.reset(token)
        release(lock for lock, _request in claimed[done:])


def release(locks):
    locks = list(locks)
    if not locks:
        return
    try:
        cache.delete_many(locks)
    except Exception as exc:  # the cache is down: the locks lapse with their timeout
        logger.warning("Could not free %d render locks (%r)", len(locks), exc)


_WSGI = {
    "REMOTE_ADDR": "127.0.0.1",
    "wsgi.version": (1, 0),
    "wsgi.multithread": True,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
}


@functools.cache
def _handler():
    """Django's own handler, its middleware loaded once per process, without the page cache's
    replay in front (the render must reach the view)."""
    return WSGIHandler()


def _render(environ, start_response):
    """A WSGI application that runs the request through Django's handler and sends nothing."""
    _handler().get_response(WSGIRequest(environ))
    return []

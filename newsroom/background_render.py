"""Changed pages renewed off the request, the way Varnish's grace does it (opt-in:
PAGE_RENDER_IN_BACKGROUND).

By default the first reader to find a cached page changed (and take its render lock,
newsroom/cache.py) renders it, so the next request after a save shows the change. With the
setting on, that reader is answered the stored copy at once, like every other reader of the
page, and this process renders the new version on a thread of its own: no reader waits for a
render, and the first request after a change may show the old page. Under a publishing peak on
a loaded machine that halved the p99 in interleaved runs, with entries reaching `/` later
(docs/performance.md).

Renders run one at a time per process, so a burst of changes cannot take every thread from
the readers. The reader renders the page itself, as before, when this process's renderer
cannot take it soon: more than MAX_WAITING renders waiting, or the one running has taken
longer than the stale window (PAGE_STALE_WHILE_REVALIDATE), so a stuck render never stretches
how long a stale copy is served.
"""

import io
import logging
import os
import threading
import time
from collections import deque

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

MAX_WAITING = 32

# What a render does not take from the reader's request: its connection and body.
_NOT_COPIED = frozenset({"wsgi.input", "gunicorn.socket", "wsgi.file_wrapper"})


def render_environ(environ):
    """The reader's GET (or HEAD) as a bodiless GET that goes the full way through Django."""
    copy = {name: value for name, value in environ.items() if name not in _NOT_COPIED}
    copy["REQUEST_METHOD"] = "GET"
    copy["wsgi.input"] = io.BytesIO()
    copy["newsroom.page_cache_missed"] = True  # the page cache already looked
    return copy


def _discard_start_response(status, headers, exc_info=None):
    return lambda data: None


def render(application, environ):
    """Run the request to the end, as a server would, and throw the response away: the page
    cache's middleware stores the page and frees the render lock (or keeps the old copy, when
    the render fails)."""
    response = application(environ, _discard_start_response)
    try:
        for _chunk in response:
            pass
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()


def _free(lock):
    if lock is None:
        return
    try:
        cache.delete(lock)
    except Exception:  # the cache is down: the lock lapses with its timeout
        logger.warning("Could not free the render lock %s", lock)


class BackgroundRenderer:
    """One thread per process that renders the pages its readers found changed."""

    def __init__(self):
        self._condition = threading.Condition()
        self._jobs = deque()
        self._pid = None
        self._running_since = None  # time.monotonic() when the running render began

    def submit(self, application, environ):
        """Queue the render of this request's page; False when the reader must render it."""
        with self._condition:
            if self._pid != os.getpid():  # first use in this (forked) process
                self._pid, self._jobs, self._running_since = os.getpid(), deque(), None
                threading.Thread(target=self._work, name="page-renderer", daemon=True).start()
            started = self._running_since
            stuck = started is not None and (
                time.monotonic() - started > settings.PAGE_STALE_WHILE_REVALIDATE
            )
            if stuck or len(self._jobs) >= MAX_WAITING:
                return False
            self._jobs.append((application, render_environ(environ)))
            self._condition.notify_all()
        return True

    def wait_until_idle(self, timeout):
        """True once nothing is queued or running (tests, shutdown); False after `timeout` s."""
        with self._condition:
            return self._condition.wait_for(
                lambda: not self._jobs and self._running_since is None, timeout
            )

    def _work(self):
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._jobs)
                application, environ = self._jobs.popleft()
                self._running_since = time.monotonic()
            try:
                render(application, environ)
            except Exception:
                logger.exception("Rendering %s in the background failed", environ.get("PATH_INFO"))
            finally:
                # The page cache's middleware frees the lock (and takes it out of the environ);
                # when the render failed before reaching it, the lock goes here, so the next
                # reader renders the page rather than being answered the old copy.
                _free(environ.pop("newsroom.render_lock", None))
                with self._condition:
                    self._running_since = None
                    self._condition.notify_all()


renderer = BackgroundRenderer()

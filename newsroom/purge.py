"""The purge hook: tells the HTTP caches in front which keys to drop, once the change commits.

Configured by environment (see .env.example and docs/deployment.md):
- CACHE_PURGE_URL: the purge endpoints, comma-separated (one per Varnish instance, or the
  CDN's purge URL); empty sends nothing.
- CACHE_PURGE_STYLE: `xkey` (deploy/varnish/default.vcl: `PURGE` with the keys in an
  `xkey-purge` or `xkey-softpurge` header), `surrogate-key` (Fastly-style: `POST` with a
  `Surrogate-Key` header, `Fastly-Soft-Purge: 1` when soft) or `cache-tag` (Cloudflare-style:
  `POST` of `{"tags": [...]}`; every purge is hard).
- CACHE_PURGE_HEADER overrides the header carrying the keys; CACHE_PURGE_TOKEN is sent in
  CACHE_PURGE_TOKEN_HEADER (`Authorization: Bearer <token>` by default).

Purges run on one background thread per process, so a slow or dead cache never holds up an
editor's request: each attempt has a short timeout (CACHE_PURGE_TIMEOUT), a failure is logged
and retried a bounded number of times (CACHE_PURGE_ATTEMPTS), and then given up on (the pages
still expire by their s-maxage). Requests queued meanwhile are merged into one per mode.
"""

import atexit
import json
import logging
import os
import queue
import threading
import time
import urllib.error
import urllib.request
from functools import partial

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# Keys per request: Varnish refuses request headers over 8 KB by default.
KEYS_PER_REQUEST = 200
BACKOFF_SECONDS = (0.2, 0.5, 1.0, 2.0, 4.0)

_state_lock = threading.Lock()
_state = {"pid": None, "queue": None}


def purge_on_commit(keys, *, hard=False):
    """Purge `keys` from every configured cache after the current transaction commits (at
    once outside a transaction). Never raises."""
    keys = frozenset(keys)
    if not keys or not settings.CACHE_PURGE_URLS:
        return
    transaction.on_commit(partial(_enqueue, keys, hard), robust=True)


def wait(timeout=5.0):
    """Block until every queued purge was sent or given up (tests, process exit).
    Returns whether the queue emptied in time."""
    pending = _state["queue"]
    if pending is None or _state["pid"] != os.getpid():
        return True
    deadline = time.monotonic() + timeout
    while pending.unfinished_tasks:
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.01)
    return True


def _queue():
    """This process's queue and worker thread, made at first use (gunicorn forks workers
    after loading the app; threads do not survive a fork)."""
    with _state_lock:
        if _state["pid"] != os.getpid():
            _state["queue"] = queue.Queue()
            _state["pid"] = os.getpid()
            threading.Thread(
                target=_work, args=(_state["queue"],), name="cache-purge", daemon=True
            ).start()
        return _state["queue"]


def _enqueue(keys, hard):
    _queue().put((keys, hard))


def _work(pending):
    while True:
        batch = [pending.get()]
        while True:
            try:
                batch.append(pending.get_nowait())
            except queue.Empty:
                break
        try:
            hard = frozenset().union(*(keys for keys, is_hard in batch if is_hard))
            soft = frozenset().union(*(keys for keys, is_hard in batch if not is_hard)) - hard
            for keys, is_hard in ((hard, True), (soft, False)):
                if keys:
                    send(keys, hard=is_hard)
        except Exception:
            logger.exception("Cache purge failed")
        finally:
            for _ in batch:
                pending.task_done()


def send(keys, *, hard):
    """Send one purge of `keys` to every endpoint, retrying each; returns whether all
    succeeded. Runs on the purge thread (or directly, from a management command)."""
    ordered = sorted(keys)
    chunks = [ordered[i : i + KEYS_PER_REQUEST] for i in range(0, len(ordered), KEYS_PER_REQUEST)]
    ok = True
    for url in settings.CACHE_PURGE_URLS:
        for chunk in chunks:
            ok = _send_with_retries(url, chunk, hard) and ok
    return ok


def _send_with_retries(url, keys, hard):
    attempts = max(1, settings.CACHE_PURGE_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        try:
            _request(url, keys, hard)
            return True
        except urllib.error.HTTPError as exc:
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                logger.error(
                    "Cache purge refused by %s (%s %s); not retried", url, exc.code, exc.reason
                )
                return False
            error = exc
        except (OSError, ValueError) as exc:  # refused, timed out, unreachable, bad URL
            error = exc
        if attempt < attempts:
            logger.warning(
                "Cache purge to %s failed (attempt %d of %d): %s", url, attempt, attempts, error
            )
            time.sleep(BACKOFF_SECONDS[min(attempt - 1, len(BACKOFF_SECONDS) - 1)])
    logger.error(
        "Cache purge to %s gave up after %d attempts (%d keys, %s): %s; the pages expire by "
        "their s-maxage",
        url,
        attempts,
        len(keys),
        "hard" if hard else "soft",
        error,
    )
    return False


def _request(url, keys, hard):
    style = settings.CACHE_PURGE_STYLE
    headers, body = {}, None
    if style == "xkey":
        method = "PURGE"
        name = settings.CACHE_PURGE_HEADER or ("xkey-purge" if hard else "xkey-softpurge")
        headers[name] = " ".join(keys)
    elif style == "surrogate-key":
        method = "POST"
        headers[settings.CACHE_PURGE_HEADER or "Surrogate-Key"] = " ".join(keys)
        if not hard:
            headers["Fastly-Soft-Purge"] = "1"
    else:  # cache-tag
        method = "POST"
        headers["Content-Type"] = "application/json"
        body = json.dumps({"tags": list(keys)}).encode()
    token = settings.CACHE_PURGE_TOKEN
    if token:
        name = settings.CACHE_PURGE_TOKEN_HEADER
        headers[name] = f"Bearer {token}" if name.lower() == "authorization" else token
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=settings.CACHE_PURGE_TIMEOUT) as response:
        response.read()


# A management command or shell session ends right after its commit: send what it queued.
atexit.register(wait, 10.0)

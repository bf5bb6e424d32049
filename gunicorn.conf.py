"""gunicorn settings for newsroom (`make run`, the benchmark, production), from the environment.

Run: `gunicorn -c gunicorn.conf.py newsroom.wsgi`. `kill -HUP <master pid>` reloads the code
with graceful worker restarts; `kill -TERM` stops after in-flight requests finish.
"""

import multiprocessing
import os


def _int(name, default):
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")
# One process per core plus one; threads help while requests wait on the database.
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1)
# Threaded workers, so a few slow clients cannot hold every process (a sync worker is held by
# one client for as long as it takes to send its headers): gunicorn's gthread worker, whose
# threads also give up on headers that take over GUNICORN_HEADER_TIMEOUT seconds
# (newsroom/gunicorn_worker.py). A buffering proxy in front is still the real fix
# (docs/deployment.md). Each thread keeps its own database connection (CONN_MAX_AGE).
worker_class = "newsroom.gunicorn_worker.HeaderDeadlineWorker"
threads = _int("GUNICORN_THREADS", 4)
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000)
# A worker whose main loop has not checked in for this long is stuck and replaced (its threads
# serve requests; the loop keeps checking in while they do).
timeout = _int("GUNICORN_TIMEOUT", 30)
# Seconds a worker gets to finish its requests on restart or shutdown.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then (jittered so they do not all restart together).
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 0)
# Access log on stdout by default ("-"); an empty value turns it off (the benchmark does).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Load the app in the master so workers fork with it imported (faster starts, shared memory).
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() == "true"
# Trust X-Forwarded-* only from these proxy addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "newsroom.wsgi:application"
# gunicorn's control socket (`gunicornc`) is one path per user by default
# ($HOME/.gunicorn/gunicorn.ctl): a second instance took it over, and stopping that one
# removed it. Off unless GUNICORN_CONTROL_SOCKET names a path for this instance alone.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not _control_socket
if _control_socket:
    control_socket = _control_socket


def on_starting(server):
    """Refuse to start a configuration that could serve stale pages (newsroom/content_version)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    django.setup()
    from newsroom.content_version import check_freshness

    try:
        check_freshness(processes=server.cfg.workers)
    except ImproperlyConfigured as exc:
        raise SystemExit(f"error: {exc}") from None

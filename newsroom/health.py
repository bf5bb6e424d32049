"""`/healthz` for load balancers, and the plain 503 page when the database is down."""

import logging
import sys

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache
from django.views.defaults import server_error as default_server_error

logger = logging.getLogger(__name__)


def _database_ok():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError as exc:
        logger.warning("Health check: database unreachable: %r", exc)
        return False


def _cache_ok():
    try:
        cache.set("newsroom:healthz", "ok", 10)
        return cache.get("newsroom:healthz") == "ok"
    except Exception as exc:
        logger.warning("Health check: cache unreachable: %r", exc)
        return False


@never_cache
def healthz(request):
    """200 while the database answers (a cache outage only degrades speed), else 503."""
    database, cache_ok = _database_ok(), _cache_ok()
    return JsonResponse(
        {
            "status": "ok" if database and cache_ok else ("degraded" if database else "down"),
            "database": "ok" if database else "unreachable",
            "cache": "ok" if cache_ok else "unreachable",
        },
        status=200 if database else 503,
    )


def server_error(request):
    """A database outage is a plain 503 (try again later); anything else Django's 500."""
    if isinstance(sys.exception(), DatabaseError):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response
    return default_server_error(request)

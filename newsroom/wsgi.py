"""WSGI entry point: `gunicorn newsroom.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")

django_application = get_wsgi_application()

from newsroom.cache import PageCacheApp  # noqa: E402  (needs the settings loaded above)
from newsroom.request_guard import RequestGuardApp  # noqa: E402

# Cached public pages are answered here, before Django's request handling starts; TRACE and
# Host-less HTTP/1.1 requests are refused before even that.
application = RequestGuardApp(PageCacheApp(django_application))

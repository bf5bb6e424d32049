from django.conf import settings
from django.contrib import admin
from django.http import Http404
from django.urls import include, path
from django.views.static import serve

from newsroom.health import healthz


def serve_media(request, path):
    """Uploaded files, served by the app only while SERVE_MEDIA is on (local runs, tests)."""
    if not settings.SERVE_MEDIA:
        raise Http404("Media is served by the proxy or object storage.")
    try:
        return serve(request, path, document_root=settings.MEDIA_ROOT)
    except (OSError, ValueError) as error:
        # A name the file system refuses (too long, NUL byte) names no file: not found.
        raise Http404("No such file.") from error


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("entries.urls")),
]
if settings.MEDIA_STORAGE == "filesystem":
    # Before the entries' routes, which would otherwise answer 404 first.
    urlpatterns.insert(
        -1, path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve_media, name="media")
    )

# A database outage gives a plain 503 page instead of the 500 page.
handler500 = "newsroom.health.server_error"

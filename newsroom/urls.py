from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import Http404
from django.urls import include, path
from django.views.static import serve

from newsroom.health import healthz


def serve_media(request, path):
    """Uploaded files, served by the app only while SERVE_MEDIA is on (local runs, tests)."""
    if not settings.SERVE_MEDIA or settings.MEDIA_STORAGE != "filesystem":
        raise Http404("Media is served by the proxy or object storage.")
    try:
        return serve(request, path, document_root=settings.MEDIA_ROOT)
    except (OSError, ValueError) as error:
        # A name the file system refuses (too long, NUL byte) names no file: not found.
        raise Http404("No such file.") from error


def _media_prefix():
    url = settings.MEDIA_URL
    return "media" if "://" in url else url.strip("/")


# The public pages in every language: the default one without a prefix (`/`), the others
# under theirs (`/fr/`). First, as they are what most requests ask for: a page's address is
# then found without first failing against every other pattern (no address matches both).
urlpatterns = i18n_patterns(path("", include("entries.urls")), prefix_default_language=False)
urlpatterns += [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # With MEDIA_STORAGE=s3, MEDIA_URL is the bucket's and this route answers 404.
    path(f"{_media_prefix()}/<path:path>", serve_media, name="media"),
    path("", include("entries.site_urls")),
]
# A database outage gives a plain 503 page instead of the 500 page.
handler500 = "newsroom.health.server_error"

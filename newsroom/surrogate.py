"""Cache keys on public responses, for the HTTP cache in front (Varnish, a CDN).

A view says what its page shows with `add_keys(response, keys)` (the keys themselves are the
app's business: this module knows no app). `SurrogateKeyMiddleware` then writes them into the
headers the caches read (`xkey` for Varnish's xkey vmod, space-separated; `Cache-Tag`,
comma-separated, for CDNs that use that name; see SURROGATE_KEY_HEADERS) and adds the stale
directives to Cache-Control, on anonymous GET/HEAD 200 responses only. It sits just inside
`PageCacheMiddleware`, so the page cache stores and replays these headers with the page.

`newsroom.cache.invalidate(keys)` purges by the same keys.
"""

from django.conf import settings
from django.utils.cache import patch_cache_control

# Headers whose values are comma-separated; every other key header is space-separated.
COMMA_SEPARATED = frozenset({"cache-tag"})


def add_keys(response, keys):
    """Remember on `response` the cache keys of what it shows; returns the response."""
    response.cache_keys = getattr(response, "cache_keys", frozenset()) | frozenset(keys)
    return response


def keys_of(response):
    return getattr(response, "cache_keys", frozenset())


def header_value(name, keys):
    separator = "," if name.lower() in COMMA_SEPARATED else " "
    return separator.join(sorted(keys))


def _signed_in(request):
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies


class SurrogateKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        keys = keys_of(response)
        if (
            keys
            and request.method in ("GET", "HEAD")
            and response.status_code == 200
            and not _signed_in(request)
        ):
            for name in settings.SURROGATE_KEY_HEADERS:
                response[name] = header_value(name, keys)
            patch_cache_control(
                response,
                stale_while_revalidate=settings.PAGE_STALE_WHILE_REVALIDATE,
                stale_if_error=settings.PAGE_STALE_IF_ERROR,
            )
        return response

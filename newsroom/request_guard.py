"""Requests refused before any page, static file or cached copy is looked at.

- `TRACE` (and `TRACK`, `CONNECT`) is 405 everywhere: Django's function views (feeds, the
  sitemap, `/healthz`, media) and whitenoise would otherwise answer it like a GET.
- An HTTP/1.1 request without a `Host` header is 400, as RFC 9112 (3.2) requires; without
  this, Django falls back to the server's own name and serves it.

`RequestGuardApp` wraps the WSGI application (newsroom/wsgi.py), in front of the page cache's
fast path; `RequestGuardMiddleware` refuses the methods for whatever reaches Django another way
(the test client, ASGI), which set no reliable `Host`/protocol pair to judge.
"""

REFUSED_METHODS = frozenset({"TRACE", "TRACK", "CONNECT"})


def _plain(status, text, extra=()):
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(text))),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-store"),
        *extra,
    ]
    return status, headers, text.encode()


def _allowed(path):
    return "GET, HEAD, POST" if path.startswith("/admin/") else "GET, HEAD"


def refusal(environ, *, check_host=True):
    """(status, headers, body) for a request refused outright, or None."""
    method = environ.get("REQUEST_METHOD", "")
    if method in REFUSED_METHODS:
        allow = _allowed(environ.get("PATH_INFO", ""))
        return _plain("405 Method Not Allowed", "Method not allowed.\n", [("Allow", allow)])
    if (
        check_host
        and environ.get("SERVER_PROTOCOL") == "HTTP/1.1"
        and not environ.get("HTTP_HOST", "").strip()
    ):
        return _plain("400 Bad Request", "Bad request: HTTP/1.1 needs a Host header.\n")
    return None


class RequestGuardApp:
    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        refused = refusal(environ)
        if refused is None:
            return self.application(environ, start_response)
        status, headers, body = refused
        start_response(status, headers)
        return [] if environ.get("REQUEST_METHOD") == "HEAD" else [body]


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = refusal(request.META, check_host=False)
        if refused is None:
            return self.get_response(request)
        from django.http import HttpResponse

        status, headers, body = refused
        response = HttpResponse(body, status=int(status.split()[0]))
        for name, value in headers:
            if name != "Content-Length":
                response[name] = value
        return response

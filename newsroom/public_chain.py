"""Anonymous reads of public pages take a shorter middleware chain.

Sessions, CSRF, the signed-in user, messages and the login lockout serve editors. An anonymous
GET or HEAD of a public page uses none of them (no public view or template reads the user, a
session, a message or a CSRF token), yet each would run on every such request. So this
middleware chooses per request: the rest of MIDDLEWARE after it, or PUBLIC_MIDDLEWARE, the same
list without them, built by Django's rules into a handler of its own (with its own view,
template response and exception middleware). What comes before it (the page cache, security
headers, static files) is shared by both. Both give the same status, headers and body for the
requests sent the short way (tests/test_public_chain.py).

The full chain takes every request that is not a GET or HEAD, that carries a session or
messages cookie (an editor browsing the site keeps what editors have), or whose path starts
with one of FULL_CHAIN_PATHS (the admin and its login, previews: settings say which).

Being middleware, the choice is the same under gunicorn (newsroom.wsgi), ASGI and the test
client. Without PUBLIC_MIDDLEWARE (empty or unset) this middleware removes itself.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.utils.module_loading import import_string

SAFE_METHODS = frozenset({"GET", "HEAD"})


class PublicChainMiddleware:
    def __init__(self, get_response):
        public = list(getattr(settings, "PUBLIC_MIDDLEWARE", None) or ())
        if not public:
            raise MiddlewareNotUsed
        name = f"{__name__}.{type(self).__qualname__}"
        if name not in settings.MIDDLEWARE:
            raise ImproperlyConfigured(f"{name} must be in MIDDLEWARE.")
        rest = settings.MIDDLEWARE[settings.MIDDLEWARE.index(name) + 1 :]
        if not _in_order_within(public, rest):
            raise ImproperlyConfigured(
                "PUBLIC_MIDDLEWARE must list middleware of the rest of MIDDLEWARE, in its order."
            )
        self.get_response = get_response
        self.public_response = _Chain(public).respond
        self.full_chain_paths = tuple(getattr(settings, "FULL_CHAIN_PATHS", ()))
        # Substrings, so a cookie header that merely might hold one still takes the full way.
        self.editor_cookies = (f"{settings.SESSION_COOKIE_NAME}=", "messages=")

    def __call__(self, request):
        if self.is_public(request):
            return self.public_response(request)
        return self.get_response(request)

    def is_public(self, request):
        if request.method not in SAFE_METHODS:
            return False
        if request.path_info.startswith(self.full_chain_paths):
            return False
        cookies = request.META.get("HTTP_COOKIE", "")
        return not (cookies and any(name in cookies for name in self.editor_cookies))


def _in_order_within(subset, sequence):
    remaining = iter(sequence)
    return all(any(item == other for other in remaining) for item in subset)


class _Chain(BaseHandler):
    """A handler whose middleware is `middleware` instead of settings.MIDDLEWARE: what
    BaseHandler.load_middleware builds, for synchronous requests (WSGI; Django adapts this
    middleware itself under ASGI). `respond` runs it, within the outer handler's request."""

    def __init__(self, middleware):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(middleware):
            factory = import_string(path)
            if not getattr(factory, "sync_capable", True):
                raise ImproperlyConfigured(f"{path} cannot run synchronously.")
            try:
                instance = factory(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self.respond = self._middleware_chain = handler

"""The site's URLs, read from the URLconf, so tests cover pages added later without edits.

`routes()` lists every pattern with its full route; `fill()` turns a route into concrete paths
by putting example values into its converters and named groups.
"""

import itertools
import re
from dataclasses import dataclass

from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RegexPattern

CONVERTER = re.compile(r"<(?:(?P<type>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    route: str  # e.g. "entries/<slug:slug>/" or "admin/(?P<url>.*)$" for regex patterns
    namespace: str | None
    name: str | None
    is_regex: bool

    @property
    def is_admin(self):
        return self.namespace == "admin"

    @property
    def prefix(self):
        """The literal start of the route, before any variable part: "entries/"."""
        literal = re.split(r"[<(^$\\.*+?\[]", self.route.replace("^", ""), maxsplit=1)[0]
        return "/" + literal

    @property
    def has_variables(self):
        return bool(CONVERTER.search(self.route) or REGEX_GROUP.search(self.route))


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        route = prefix + str(pattern.pattern).lstrip("^") if prefix else str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route, pattern.namespace or namespace)
        else:
            yield Route(
                route=route,
                namespace=namespace,
                name=pattern.name,
                is_regex=isinstance(pattern.pattern, RegexPattern) or "(?P<" in route,
            )


def routes():
    return list(_walk(get_resolver().url_patterns))


def public_routes():
    return [r for r in routes() if not r.is_admin]


def prefixes():
    """Every distinct literal prefix: "/", "/entries/", "/media/", "/admin/", ..."""
    return sorted({r.prefix for r in routes()})


def fill(route, examples):
    """Concrete paths for `route`, one per combination of example values.

    `examples(name, type)` returns candidate values for a variable named `name` whose converter
    is `type` ("slug", "int", "path", "str", or "regex" for a named regex group).
    """
    if route.is_regex:
        slots = [(m.group("name"), "regex") for m in REGEX_GROUP.finditer(route.route)]
    else:
        slots = [
            (m.group("name"), m.group("type") or "str") for m in CONVERTER.finditer(route.route)
        ]
    choices = [[str(v) for v in examples(name, kind)] for name, kind in slots]
    paths = []
    for combination in itertools.product(*choices):
        values = iter(combination)
        pattern = REGEX_GROUP if route.is_regex else CONVERTER
        path = pattern.sub(lambda _m, values=values: next(values), route.route)
        paths.append("/" + path.replace("^", "").replace("$", ""))
    return paths

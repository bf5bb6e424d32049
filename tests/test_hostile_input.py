"""Hostile input: whatever a visitor sends, every response is below 500 and leaks nothing.

The URLs come from the URLconf (tests/urlwalk.py), so pages added later (feeds, topics,
sitemap, search) are covered without editing this file. DEBUG is off, as in production, and
the test client returns 500s as responses instead of raising.
"""

import string
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests import urlwalk
from tests.factories import make_entry, make_image, make_topic

# Bounded so each test takes a few seconds per database; the seed varies from run to run.
FUZZ = hypothesis_settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# What a body must never contain: signs of a traceback, settings, or the server's file paths.
LEAK_MARKERS = [
    "Traceback",
    'File "',
    "SECRET_KEY",
    "DATABASES",
    "INSTALLED_APPS",
    "site-packages",
    str(settings.BASE_DIR),
]

odd_text = st.one_of(
    st.text(max_size=40),  # any unicode, NUL bytes and surrogate-free control characters
    st.sampled_from(
        ["\x00", "%00", "../../etc/passwd", "'; DROP TABLE x;--", "<script>", "{{7*7}}"]
    ),
    # 10,000 characters (hypothesis cannot draw that long a string itself, so repeat one).
    st.text(alphabet=string.printable, min_size=1, max_size=20).map(
        lambda t: (t * 10_000)[:10_000]
    ),
    st.just("é" * 10_000),
)
page_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["-1", "0", "last", "first", "1e9", "NaN", "inf", "1.5", "", " 2", "9" * 5000]),
)
query_strings = st.one_of(
    st.dictionaries(odd_text, odd_text, max_size=4).map(lambda d: urlencode(d)),
    st.dictionaries(
        st.sampled_from(["page", "q", "topic", "year", "month", "format"]),
        page_numbers.map(str) | odd_text,
        max_size=3,
    ).map(urlencode),
    # Raw, not even well-formed: stray %, &, =, half escapes, invalid UTF-8.
    st.text(alphabet="%&=;+?#abc\x00é\ufffd", max_size=60),
    st.sampled_from(["%ff%fe", "page=%ff", "=&=&", "a" * 10_000, "page=1&page=2&page=x"]),
)
odd_hosts = st.one_of(
    st.sampled_from(
        [
            "testserver",
            "localhost",
            "evil.example",
            "127.0.0.1:99999",
            "[::1",
            "a" * 300,
            "",
            "例え.jp",
            "host\x00",
        ]
    ),
    st.text(alphabet=string.printable, max_size=30),
)
odd_accepts = st.one_of(
    st.sampled_from(
        [
            "*/*",
            "application/json",
            "text/html;q=abc",
            ";;;,,,",
            "application/rss+xml",
            "*/*;q=-1",
            "text/*, x" * 500,
        ]
    ),
    st.text(alphabet=string.printable, max_size=60),
)
methods = st.sampled_from(["get", "get", "get", "head", "post", "options"])


@pytest.fixture
def site(db, settings):
    """A small published site with a draft, an image, a topic; media served by the app."""
    settings.SERVE_MEDIA = True
    settings.DEBUG = False
    topic = make_topic("Trade", description="About trade.")
    image = make_image(caption="Harbour")
    published = make_entry(image=image)
    published.topics.add(topic)
    make_entry(status="draft")
    for _ in range(3):
        make_entry()
    return {"entry": published, "topic": topic, "image": image}


def example_paths(site):
    """Every public route, filled with real values (each candidate, so some match)."""
    candidates = {
        "slug": [site["entry"].slug, site["topic"].slug],
        "str": [site["entry"].slug, site["topic"].slug],
        "int": [site["entry"].pk, site["entry"].pub_date.year, 1],
        "path": [site["image"].file.name],
        "regex": ["x"],
    }
    paths = []
    for route in urlwalk.public_routes():
        paths += urlwalk.fill(route, lambda _name, kind: candidates.get(kind, ["x"]))
    return sorted(set(paths))


def body_of(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def assert_safe(response, request_text=""):
    assert response.status_code < 500, f"{response.status_code} for {request_text[:300]!r}"
    body = body_of(response)
    for marker in LEAK_MARKERS:
        if marker not in request_text:  # an echoed request is not a leak
            assert marker not in body, f"{marker!r} leaked for {request_text[:300]!r}"
    assert settings.SECRET_KEY not in body


def send(client, method, path, query="", **headers):
    url = f"{path}?{query}" if query else path
    return getattr(client, method)(url, headers=headers or None)


def test_the_walk_finds_the_public_pages(site):
    """The fuzzing below is only as good as the URL list it reads."""
    paths = example_paths(site)
    assert "/" in paths
    assert site["entry"].get_absolute_url() in paths
    assert {"/", "/entries/", "/media/", "/admin/"} <= set(urlwalk.prefixes())
    client = Client()
    assert client.get(site["entry"].get_absolute_url()).status_code == 200


@FUZZ
@given(data=st.data(), method=methods, query=query_strings)
def test_odd_query_strings_on_every_public_page(site, data, method, query):
    path = data.draw(st.sampled_from(example_paths(site)), label="path")
    response = send(Client(raise_request_exception=False), method, path, query)
    assert_safe(response, path + query)


@FUZZ
@given(page=page_numbers, extra=query_strings)
def test_odd_page_numbers_on_the_listing(site, page, extra):
    query = urlencode({"page": page}) + "&" + extra
    response = Client(raise_request_exception=False).get(f"/?{query}")
    assert_safe(response, query)
    # 400: a filter value in `extra` that the filter form refuses.
    assert response.status_code in {200, 400, 404}


@FUZZ
@given(data=st.data(), tail=odd_text, raw=st.booleans())
def test_odd_paths_under_every_prefix(site, data, tail, raw):
    prefix = data.draw(st.sampled_from(urlwalk.prefixes()), label="prefix")
    # Percent-encoded like a browser would send it, or nearly raw (slashes, dots, NULs kept).
    tail = quote(tail, safe="/") if not raw else quote(tail, safe="/%.:@!$&'()*+,;=")
    path = prefix + tail
    response = Client(raise_request_exception=False).get(path)
    assert_safe(response, path)


@FUZZ
@given(data=st.data(), host=odd_hosts, accept=odd_accepts, method=methods)
def test_odd_host_and_accept_headers(site, data, host, accept, method):
    path = data.draw(
        st.sampled_from([*example_paths(site), "/admin/", "/admin/login/"]), label="path"
    )
    response = Client(raise_request_exception=False, HTTP_HOST=host).generic(
        method.upper(), path, HTTP_ACCEPT=accept
    )
    assert_safe(response, path + host + accept)
    domain, _port = split_domain_port(host)
    if host and not (domain and validate_host(domain, settings.ALLOWED_HOSTS)):
        assert response.status_code == 400  # Django's own host check answers, not a page


def test_media_path_traversal_is_refused(site):
    client = Client(raise_request_exception=False)
    secret = Path(settings.MEDIA_ROOT).parent / "secret.txt"
    secret.write_text("not for the public")
    for path in ["/media/../secret.txt", "/media/%2e%2e/secret.txt", "/media/..%2fsecret.txt"]:
        response = client.get(path)
        assert response.status_code in {400, 404}, path
        assert "not for the public" not in body_of(response)

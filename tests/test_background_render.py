"""With PAGE_RENDER_IN_BACKGROUND, through the WSGI application gunicorn runs: the reader who
finds a cached page changed is answered the stored copy at once, and the new version is
rendered off the request, once."""

import time

import pytest
from django.test import RequestFactory

from newsroom import background_render
from newsroom.background_render import renderer
from newsroom.cache import HELD_LOCK_MEMORY
from newsroom.wsgi import application

from .factories import make_entry

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("page_cache")]


def wsgi_get(path, method="GET"):
    """(status, headers, body) of a request to the WSGI application, as gunicorn makes it."""
    environ = getattr(RequestFactory(HTTP_HOST="testserver"), method.lower())(path).environ
    answered = {}

    def start_response(status, headers, exc_info=None):
        answered["status"], answered["headers"] = status, dict(headers)

    response = application(environ, start_response)
    try:
        body = b"".join(response).decode()
    finally:
        getattr(response, "close", lambda: None)()  # a replayed page is a plain list
    return answered["status"], answered["headers"], body


@pytest.fixture(autouse=True)
def render_in_background(settings):
    settings.PAGE_RENDER_IN_BACKGROUND = True  # off by default


def test_the_reader_who_finds_a_page_changed_gets_the_stored_copy_and_it_renders_once(
    renders, held_renders
):
    entry = make_entry(headline="Minister resigns", slug="minister")
    assert "Minister resigns" in wsgi_get("/")[2]
    entry.headline = "Minister resigns after vote"
    entry.save()

    status, headers, body = wsgi_get("/")  # takes the page's render lock
    assert status == "200 OK"
    assert "Minister resigns after vote" not in body  # the stored copy, at once
    assert "s-maxage=0" in headers["Cache-Control"]  # not kept as fresh in front
    assert "Minister resigns after vote" not in wsgi_get("/")[2]  # still rendering
    held_renders.set()
    assert renderer.wait_until_idle(10)

    status, headers, body = wsgi_get("/")
    assert "Minister resigns after vote" in body
    assert "s-maxage=0" not in headers["Cache-Control"]  # the new version, as stored
    assert renders == ["/"]  # once, for both readers


def test_a_head_request_gets_no_body_and_the_page_still_renders(renders):
    entry = make_entry(headline="First version", slug="first")
    wsgi_get("/")
    entry.headline = "Second version"
    entry.save()
    status, _headers, body = wsgi_get("/", method="HEAD")
    assert (status, body) == ("200 OK", "")
    assert renderer.wait_until_idle(10)
    assert renders == ["/"]
    assert "Second version" in wsgi_get("/")[2]


def test_a_failed_background_render_leaves_the_page_to_the_next_reader(renders, monkeypatch):
    entry = make_entry(headline="First version", slug="first")
    wsgi_get("/")
    entry.headline = "Second version"
    entry.save()
    counted = background_render.render

    def broken(app, environ):
        raise RuntimeError("the render failed before the page cache's middleware")

    monkeypatch.setattr(background_render, "render", broken)
    assert "Second version" not in wsgi_get("/")[2]
    assert renderer.wait_until_idle(10)

    # No new version is coming, so no lock is left held: the next reader starts a render.
    monkeypatch.setattr(background_render, "render", counted)
    time.sleep(HELD_LOCK_MEMORY)
    assert "Second version" not in wsgi_get("/")[2]
    assert renderer.wait_until_idle(10)
    assert renders == ["/"]
    assert "Second version" in wsgi_get("/")[2]


def test_the_reader_renders_when_background_rendering_is_off(renders, settings):
    settings.PAGE_RENDER_IN_BACKGROUND = False
    entry = make_entry(headline="First version", slug="first")
    wsgi_get("/")
    entry.headline = "Second version"
    entry.save()
    assert "Second version" in wsgi_get("/")[2]  # this reader waited for it
    assert renders == []


def test_a_stuck_render_sends_readers_back_to_rendering_themselves(renders, settings, held_renders):
    settings.PAGE_STALE_WHILE_REVALIDATE = 1
    first = make_entry(headline="First story", slug="first")
    second = make_entry(headline="Second story", slug="second")
    for path in ("/entries/first/", "/entries/second/"):
        wsgi_get(path)
    first.summary, second.summary = "First, corrected.", "Second, corrected."
    first.save()
    second.save()
    assert "First, corrected." not in wsgi_get("/entries/first/")[2]  # its render is stuck
    time.sleep(1.2)  # longer than the stale window
    assert "Second, corrected." in wsgi_get("/entries/second/")[2]  # rendered by the reader
    held_renders.set()

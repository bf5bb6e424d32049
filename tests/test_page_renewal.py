"""With Redis, the process that commits a change renders the pages it changed before the save
returns, while readers are answered the stored copies: a publish sends no render through the
readers' requests (newsroom/page_renewal.py). Through the WSGI application gunicorn runs, on
committed transactions."""

import threading
import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone, translation

from entries.models import Entry
from newsroom import background_render, page_renewal
from newsroom.cache import HELD_LOCK_MEMORY, cached_page
from newsroom.wsgi import application

from .factories import make_entry

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("page_cache", "redis_page_cache"),
]


@pytest.fixture(autouse=True)
def renew_on_commit(settings):
    settings.PAGE_RENEW_ON_COMMIT = True  # off for the other tests (tests/conftest.py)


def wsgi_get(path):
    """The body of a GET to the WSGI application, as gunicorn makes it."""
    environ = RequestFactory(HTTP_HOST="testserver").get(path).environ
    response = application(environ, lambda status, headers, exc_info=None: None)
    try:
        return b"".join(response).decode()
    finally:
        getattr(response, "close", lambda: None)()


def reader_would_render(path):
    """Whether the next reader of `path` would render it (rather than get a stored copy)."""
    environ = RequestFactory(HTTP_HOST="testserver").get(path).environ
    stored = cached_page(environ)
    lock = environ.get("newsroom.render_lock")
    if lock:
        cache.delete(lock)  # this test reader renders nothing
    return stored is None


def in_another_thread(action):
    """Run `action` as another request would (its own thread and database connection)."""
    from django.db import connection

    def run():
        try:
            action()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def publish(headline, slug):
    entry = make_entry(headline=headline, slug=slug, status=Entry.Status.DRAFT)
    entry.status = Entry.Status.PUBLISHED
    entry.pub_date = timezone.now()
    entry.save()
    return entry


def test_a_publish_renews_the_listing_and_feeds_before_any_reader_asks(renders):
    make_entry(headline="Older story", slug="older")
    for path in ("/", "/feeds/entries.rss", "/entries/older/"):
        wsgi_get(path)
    renders.clear()

    publish("Minister resigns", "minister")

    assert renders[0] == "/"  # the most read first
    assert {"/", "/feeds/entries.rss", "/entries/older/"} <= set(renders)
    for path in ("/", "/feeds/entries.rss"):
        assert not reader_would_render(path)  # a fresh stored page
    assert "Minister resigns" in wsgi_get("/")
    assert "Minister resigns" in wsgi_get("/feeds/entries.rss")


def test_while_the_pages_renew_readers_get_the_stored_copy(renders, held_renders):
    make_entry(headline="Older story", slug="older")
    assert "Older story" in wsgi_get("/")

    editor = in_another_thread(lambda: publish("Minister resigns", "minister"))
    time.sleep(0.5)  # committed, and renewing `/` (held)
    before = wsgi_get("/")
    assert "Older story" in before
    assert "Minister resigns" not in before  # the stored copy: its renewal is under way

    held_renders.set()
    editor.join(10)
    assert "Minister resigns" in wsgi_get("/")
    assert renders == ["/"]  # once: by the renewal, none by the readers


def test_a_typo_fix_renews_only_the_pages_that_show_the_entry(renders):
    fixed = make_entry(headline="Minster resigns", slug="fixed")
    make_entry(slug="between-1")  # the entry pages link to their neighbours
    make_entry(slug="between-2")
    other = make_entry(headline="Budget passes", slug="other")
    for path in ("/", "/entries/fixed/", "/entries/other/"):
        wsgi_get(path)
    renders.clear()

    fixed.headline = "Minister resigns"
    fixed.save()

    assert "/entries/fixed/" in renders
    assert "/" in renders
    assert "/entries/other/" not in renders
    assert not reader_would_render("/entries/other/")  # still the page stored before
    assert "Minister resigns" in wsgi_get("/entries/fixed/")
    assert other.headline in wsgi_get("/entries/other/")


def test_a_search_a_reader_typed_is_left_to_its_readers(renders):
    make_entry(headline="Union talks", slug="union")
    wsgi_get("/?q=union")
    publish("Union agrees", "agrees")
    assert "/?q=union" not in renders
    assert reader_would_render("/?q=union")  # changed: its next reader renders it


def test_a_takedown_is_not_renewed_and_never_served_stale(renders):
    pulled = make_entry(headline="Pulled story", slug="pulled")
    make_entry(headline="Other story", slug="kept")
    wsgi_get("/")
    renders.clear()

    pulled.status = Entry.Status.DRAFT
    pulled.save()

    assert renders == []
    assert "Pulled story" not in wsgi_get("/")  # its reader rendered it, at once


def test_a_renewal_that_fails_leaves_the_page_to_its_next_reader(renders, monkeypatch):
    make_entry(headline="Older story", slug="older")
    wsgi_get("/")

    def broken(app, environ):
        renders.append(environ["PATH_INFO"])
        raise RuntimeError("the database went away")

    monkeypatch.setattr(background_render, "render", broken)
    publish("Minister resigns", "minister")

    assert renders == ["/"]
    time.sleep(HELD_LOCK_MEMORY)
    assert "Minister resigns" in wsgi_get("/")  # the lock was freed: this reader rendered it


def test_a_page_not_renewed_in_time_goes_back_to_its_readers(renders, held_renders):
    make_entry(headline="Older story", slug="older")
    wsgi_get("/")
    editor = in_another_thread(lambda: publish("Minister resigns", "minister"))
    time.sleep(0.5)
    assert not reader_would_render("/")  # its renewal holds the lock

    time.sleep(page_renewal.RENEW_WITHIN)
    assert reader_would_render("/")  # the lock lapsed: the next reader renders it
    held_renders.set()
    editor.join(10)


def test_with_the_cache_down_a_publish_still_succeeds(renders, redis_page_cache, settings):
    make_entry(headline="Older story", slug="older")
    wsgi_get("/")
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.redis_cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    entry = publish("Minister resigns", "minister")
    assert Entry.objects.published().filter(pk=entry.pk).exists()
    assert renders == []


def test_renewing_leaves_the_committing_requests_language_and_connection_alone(renders):
    make_entry(headline="Older story", slug="older")
    wsgi_get("/")
    connection.ensure_connection()
    before = connection.connection
    with translation.override("fr"):  # an editor working in French
        publish("Minister resigns", "minister")
        assert renders == ["/"]  # rendered in English
        assert translation.get_language() == "fr"
    # Not closed in the middle of the request that saved (CONN_MAX_AGE=0 closes it at the end
    # of a request; the renders are not requests of their own).
    assert connection.connection is before

"""After a change, one request renders each changed page while the others are answered the
stored copy; takedowns are never answered stale; a change touches only the pages that show it."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import RequestFactory
from django.utils import timezone

from entries.models import Entry
from newsroom.cache import HELD_LOCK_MEMORY, cached_page

from .factories import make_entry, make_topic

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


def start_rendering(path):
    """What a first reader of a changed page does: takes its render lock (and then renders)."""
    environ = RequestFactory().get(path).META
    assert cached_page(environ) is None  # this reader renders
    assert "newsroom.render_lock" in environ
    return environ["newsroom.render_lock"]


def test_while_one_request_renders_a_changed_page_the_others_get_the_stored_copy(client):
    entry = make_entry(headline="Minister resigns", slug="minister")
    assert "Minister resigns" in client.get("/").text
    entry.headline = "Minister resigns after vote"
    entry.save()

    lock = start_rendering("/")
    stale = client.get("/")
    assert stale.status_code == 200
    assert "Minister resigns after vote" not in stale.text  # the copy stored before

    cache.delete(lock)  # that render is over (here: it failed, nothing new was stored)
    # A process that found the lock held remembers it a moment before asking again.
    time.sleep(HELD_LOCK_MEMORY)
    fresh = client.get("/")
    assert "Minister resigns after vote" in fresh.text  # the next reader renders it
    assert "Minister resigns after vote" in client.get("/").text  # and stores it


def test_a_stale_copy_is_not_kept_as_fresh_by_the_caches_in_front(client, settings):
    settings.PAGE_S_MAXAGE = 60
    entry = make_entry(headline="Minister resigns")
    assert "s-maxage=60" in client.get("/")["Cache-Control"]
    entry.headline = "Minister resigns after vote"
    entry.save()
    start_rendering("/")
    stale = client.get("/")
    assert "Minister resigns after vote" not in stale.text
    # Varnish may serve it for stale-while-revalidate while it asks again, no longer.
    assert "s-maxage=0" in stale["Cache-Control"]
    assert stale["X-Newsroom-Stale"] == "1"  # Varnish keeps it a moment (default.vcl)
    assert "stale-while-revalidate" in stale["Cache-Control"]


def test_a_stored_copy_is_not_kept_in_front_past_a_scheduled_publication(client, settings):
    settings.PAGE_S_MAXAGE = 60
    make_entry(headline="Now")
    make_entry(headline="Soon", pub_date=timezone.now() + timedelta(seconds=30))
    first = client.get("/")
    assert "s-maxage=30" in first["Cache-Control"] or "s-maxage=29" in first["Cache-Control"]
    time.sleep(2)
    replayed = client.get("/")
    assert replayed.text == first.text  # the stored copy
    left = int(replayed["Cache-Control"].split("s-maxage=")[1].split(",")[0])
    assert left <= 28  # counted down to the publication, not the stored 30


def test_a_render_lock_lapses_after_the_stale_window(client, settings):
    settings.PAGE_STALE_WHILE_REVALIDATE = 1
    entry = make_entry(headline="First version")
    client.get("/")
    entry.headline = "Second version"
    entry.save()
    start_rendering("/")  # a render that never finishes (its worker died)
    assert "Second version" not in client.get("/").text
    time.sleep(1.2)
    assert "Second version" in client.get("/").text


def test_a_takedown_is_never_served_stale(client):
    keep = make_entry(headline="Stays up", slug="stays")
    pulled = make_entry(headline="Pulled story", slug="pulled")
    for path in ["/", "/entries/pulled/", "/feeds/entries.rss"]:
        assert "Pulled story" in client.get(path).text
    keep.summary = "Corrected."  # a change that leaves the listing stale...
    keep.save()
    start_rendering("/")  # ...and being rendered again when the takedown comes
    Entry.objects.filter(pk=pulled.pk).update(status=Entry.Status.DRAFT)
    assert "Pulled story" not in client.get("/").text
    assert client.get("/entries/pulled/").status_code == 404
    assert "Pulled story" not in client.get("/feeds/entries.rss").text
    assert "Stays up" in client.get(keep.get_absolute_url()).text


def test_a_typo_fix_leaves_other_entry_pages_cached(client, django_assert_num_queries):
    topic = make_topic()
    old = make_entry(headline="An old story", slug="old", pub_date=timezone.now() - timedelta(400))
    other = make_entry(headline="Another story", slug="other")
    for entry in (old, other):
        entry.topics.add(topic)
    for path in ["/", "/entries/old/", "/entries/other/"]:
        client.get(path)
    old.summary = "A summary without the typo."
    old.save()
    with django_assert_num_queries(0):
        assert client.get("/entries/other/").status_code == 200
    assert "A summary without the typo." in client.get("/entries/old/").text


def test_a_publish_refreshes_the_listing_feeds_and_neighbours(client):
    older = make_entry(headline="Older", slug="older", pub_date=timezone.now() - timedelta(2))
    for path in ["/", "/feeds/entries.rss", "/entries/older/", "/sitemap.xml"]:
        client.get(path)
    make_entry(headline="Just published", slug="just", pub_date=timezone.now() - timedelta(1))
    assert "Just published" in client.get("/").text
    assert "Just published" in client.get("/feeds/entries.rss").text
    assert "/entries/just/" in client.get("/sitemap.xml").text
    assert "Just published" in client.get("/entries/older/").text  # its new neighbour
    assert older.headline in client.get("/entries/just/").text


def test_counts_stay_exact_after_every_kind_of_change(client):
    topic = make_topic(slug="politics")
    entries = [make_entry(headline=f"Story {n}") for n in range(3)]
    entries[0].topics.add(topic)

    def heading(path="/"):
        text = client.get(path).text
        return text.split("<h1", 1)[1].split("</h1>", 1)[0]

    assert "3 Entries" in heading()
    assert "1 Entry" in heading("/topics/politics/")
    make_entry(headline="A fourth")  # publish
    assert "4 Entries" in heading()
    Entry.objects.filter(pk=entries[1].pk).update(status=Entry.Status.DRAFT)  # bulk unpublish
    assert "3 Entries" in heading()
    entries[2].delete()
    assert "2 Entries" in heading()
    entries[0].topics.remove(topic)
    assert "1 Entry" not in heading("/topics/politics/")
    entries[0].topics.add(topic)
    assert "1 Entry" in heading("/topics/politics/")
    make_entry(headline="Later", pub_date=timezone.now() + timedelta(seconds=1))  # scheduled
    assert "2 Entries" in heading()
    time.sleep(1.1)
    assert "3 Entries" in heading()


def test_a_changed_page_whose_render_fails_is_answered_as_it_was(monkeypatch):
    """The database fails while a changed page is renewed: the copy from before the change is
    answered rather than an error page, and the next reader tries again."""
    from django.db import OperationalError
    from django.test import Client

    from entries.views import EntryListView

    client = Client(raise_request_exception=False)
    entry = make_entry(headline="Before the outage")
    client.get("/")
    entry.headline = "During the outage"
    entry.save()

    def database_down(self):
        raise OperationalError("the database is unreachable")

    with monkeypatch.context() as patched:
        patched.setattr(EntryListView, "get_queryset", database_down)
        during = client.get("/")
        assert during.status_code == 200
        assert "Before the outage" in during.text
    assert "During the outage" in client.get("/").text


def test_a_process_that_found_a_render_lock_held_asks_again_only_after_a_moment(
    client, monkeypatch
):
    entry = make_entry(headline="Minister resigns")
    client.get("/")
    entry.headline = "Minister resigns after vote"
    entry.save()
    start_rendering("/")
    monkeypatch.setattr("newsroom.cache.HELD_LOCK_MEMORY", 60)  # however slow this machine
    asked = []
    real_add = cache.add
    monkeypatch.setattr(cache, "add", lambda *a, **k: asked.append(a[0]) or real_add(*a, **k))
    for _ in range(20):
        assert "Minister resigns after vote" not in client.get("/").text
    assert len(asked) == 1  # the first stale answer asked; the others remembered

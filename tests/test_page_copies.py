"""Each process answers hits from its own decoded copies of stored pages, but never one the
shared cache would not answer: not after a change made by another process or instance, not
after a takedown, not once the cache has let the page go; and the copies stay bounded.

"Another process" here writes to the shared version store as any other worker, shell or
instance does (tests/test_freshness.py does it with real gunicorn workers and `manage.py`)."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone

from entries.models import Entry
from newsroom import page_copies
from newsroom.cache import HELD_LOCK_MEMORY, cached_page
from newsroom.content_version import EVERY_PAGE, current_version, version_store, versioned_key
from newsroom.page_copies import hit_path

from .factories import make_entry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


@pytest.fixture(params=["local-memory", "redis"])
def shared_cache(request):
    """The default local-memory cache, or Redis under a prefix of this test's own."""
    if request.param == "redis":
        request.getfixturevalue("redis_page_cache")
    return request.param


def answered_from_a_copy(client, path):
    """Ask until the page is stored, read back and kept as this process's copy."""
    for _ in range(3):
        response = client.get(path)
    assert hit_path().copies.fresh(hit_path().page_name(RequestFactory().get(path).META))
    return response


def edit_behind_our_back(entry, **fields):
    """Change a row the way another process's transaction does: nothing recorded here."""
    assignments = ", ".join(f"{name} = %s" for name in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Entry._meta.db_table} SET {assignments} WHERE id = %s",
            [*fields.values(), entry.pk],
        )


def another_process_records(keys, *, hard=False):
    store = version_store()
    store.record(current_version().token, set(keys), hard)


def test_a_change_recorded_by_another_process_is_shown_at_the_next_request(client, shared_cache):
    entry = make_entry(headline="Before the change")
    assert "Before the change" in answered_from_a_copy(client, "/").text
    edit_behind_our_back(entry, headline="After the change")
    another_process_records({EVERY_PAGE})
    for _ in range(3):
        assert "After the change" in client.get("/").text


def test_a_takedown_by_another_process_is_never_answered_from_a_copy(client, shared_cache):
    entry = make_entry(headline="Pulled story", slug="pulled")
    answered_from_a_copy(client, "/entries/pulled/")
    edit_behind_our_back(entry, status=Entry.Status.DRAFT)
    another_process_records({f"entry-{entry.pk}"}, hard=True)
    for _ in range(3):
        assert client.get("/entries/pulled/").status_code == 404


def test_a_new_content_version_from_another_process_is_shown_at_the_next_request(
    client, shared_cache
):
    entry = make_entry(headline="Before the change")
    answered_from_a_copy(client, "/")
    edit_behind_our_back(entry, headline="After the change")
    version_store().drop()  # what any process's save does first
    for _ in range(3):
        assert "After the change" in client.get("/").text


def test_a_page_the_cache_let_go_is_not_answered_from_a_copy(client, shared_cache):
    entry = make_entry(headline="Before")
    answered_from_a_copy(client, "/")
    edit_behind_our_back(entry, headline="After")  # nothing recorded: only a render shows it
    name = hit_path().page_name(RequestFactory().get("/").META)
    cache.delete(versioned_key(current_version(), name))  # expired, evicted or deleted
    for _ in range(3):
        assert "After" in client.get("/").text


def test_a_page_stored_again_by_another_instance_replaces_the_copy(client, shared_cache):
    make_entry(headline="First render")
    answered_from_a_copy(client, "/")
    key = versioned_key(current_version(), hit_path().page_name(RequestFactory().get("/").META))
    headers, body, keys, generation = cache.get(key)
    cache.set(key, (headers, body.replace(b"First render", b"Second render"), keys, generation))
    for _ in range(3):
        assert "Second render" in client.get("/").text


def test_a_copy_still_counts_down_to_a_scheduled_publication(client, settings, shared_cache):
    settings.PAGE_S_MAXAGE = 60
    make_entry(headline="Now")
    make_entry(headline="Soon", pub_date=timezone.now() + timedelta(seconds=30))
    first = answered_from_a_copy(client, "/")
    time.sleep(2)
    replayed = client.get("/")
    assert replayed.text == first.text
    left = int(replayed["Cache-Control"].split("s-maxage=")[1].split(",")[0])
    assert left <= 28


def test_a_changed_page_is_answered_as_stored_while_one_request_renders_it(client, shared_cache):
    entry = make_entry(headline="Minister resigns")
    answered_from_a_copy(client, "/")
    entry.headline = "Minister resigns after vote"
    entry.save()
    environ = RequestFactory().get("/").META
    assert cached_page(environ) is None  # this reader renders (it holds the lock)
    assert "Minister resigns after vote" not in client.get("/").text  # the stored copy
    cache.delete(environ["newsroom.render_lock"])
    time.sleep(HELD_LOCK_MEMORY)  # a process that found the lock held remembers it a moment
    assert "Minister resigns after vote" in client.get("/").text


def test_copies_are_bounded_in_number_and_bytes(client, shared_cache, monkeypatch):
    monkeypatch.setattr(page_copies, "COPIES", 2)
    entries = [make_entry(headline=f"Story {n}", slug=f"story-{n}") for n in range(4)]
    for entry in entries:
        for _ in range(2):
            assert f"Story {entries.index(entry)}" in client.get(entry.get_absolute_url()).text
    assert len(hit_path().copies) == 2
    monkeypatch.setattr(page_copies, "COPIES_BYTES", 1)
    client.get(entries[0].get_absolute_url())  # stored: read back from the cache
    assert len(hit_path().copies) == 0
    for n, entry in enumerate(entries):
        assert f"Story {n}" in client.get(entry.get_absolute_url()).text


def test_the_page_names_kept_are_bounded(client, monkeypatch):
    monkeypatch.setattr(page_copies, "NAMES", 5)
    make_entry()
    for n in range(50):
        assert client.get(f"/?z={n}").status_code == 200
    assert len(hit_path().names) <= 5


def test_a_redis_connection_closed_under_the_hit_path_is_replaced(client, redis_page_cache):
    make_entry(headline="Still here")
    answered_from_a_copy(client, "/")
    reads = hit_path().copies.pages._reads
    host, port = reads._connection()._sock.getsockname()[:2]
    redis_page_cache.client_kill_filter(_type=None, addr=f"{host}:{port}")  # as a restart does
    for _ in range(5):
        assert "Still here" in client.get("/").text
    assert not reads._breaker.open


def test_a_redis_without_key_expiry_times_serves_pages_without_copies(
    client, redis_page_cache, monkeypatch
):
    """Before Redis 7 (no PEXPIRETIME) a copy cannot be told from a newer render: none is kept,
    and the refused command is not taken for an unreachable Redis."""
    monkeypatch.setattr(page_copies, "STAMP", "NO-SUCH-COMMAND")
    make_entry(headline="Served all the same")
    for _ in range(5):
        assert "Served all the same" in client.get("/").text
    assert len(hit_path().copies) == 0
    assert not hit_path().copies.pages._reads._breaker.open

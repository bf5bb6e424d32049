"""Each process keeps a copy of the change records (newsroom.version_stores): after a change it
fetches the new records once, then judges every stored page from its copy, and it never judges
a page from a copy older than the generation read with that page."""

import os
import secrets

import pytest
from django.core.cache import cache, caches
from django.test import override_settings

from newsroom.version_stores import CacheVersionStore, RecordsLost

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture
def redis_cache():
    prefix = f"test-records-{secrets.token_hex(4)}"
    settings = {
        "default": {
            "BACKEND": "newsroom.redis_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    with override_settings(CACHES=settings):
        yield caches["default"]
        caches["default"].raw(
            lambda client: [client.delete(key) for key in client.scan_iter(f"{prefix}:*")]
        )


def new_version(store):
    token = secrets.token_hex(8)
    store.write(f"{token}|0")
    return token


class CountingStore(CacheVersionStore):
    """A worker process's store, counting its round trips for the records."""

    fetches = 0

    def _sync(self, token, generation):
        self.fetches += 1
        return super()._sync(token, generation)


def test_a_change_made_by_another_process_is_seen_at_the_next_generation(redis_cache):
    editor, worker = CacheVersionStore(), CountingStore()
    token = new_version(editor)
    first = editor.record(token, ["entry-1", "listing"], hard=False)
    assert worker.latest(token, ["entry-1"], first) == (first, 0)
    assert worker.latest(token, ["entry-2"], first) == (0, 0)

    second = editor.record(token, ["entry-2"], hard=False)
    third = editor.record(token, ["entry-1"], hard=True)
    assert worker.latest(token, ["entry-2"], third) == (second, 0)
    assert worker.latest(token, ["entry-1"], third) == (third, third)
    assert worker.latest(token, ["listing", "entry-3"], third) == (first, 0)


def test_pages_of_a_known_generation_cost_no_round_trip(redis_cache):
    editor, worker = CacheVersionStore(), CountingStore()
    token = new_version(editor)
    generation = editor.record(token, ["entry-1"], hard=False)
    for key in ("entry-1", "entry-2", "listing", "feeds"):
        worker.latest(token, [key, "*"], generation)
    assert worker.fetches == 1

    newer = editor.record(token, ["entry-2"], hard=False)
    worker.latest(token, ["entry-1"], newer)
    worker.latest(token, ["entry-2"], newer)
    assert worker.fetches == 2


def test_lost_records_are_noticed_at_the_next_change(redis_cache):
    editor, worker = CacheVersionStore(), CacheVersionStore()
    token = new_version(editor)
    generation = editor.record(token, ["entry-1"], hard=False)
    worker.latest(token, ["entry-1"], generation)
    # Redis evicts the records; a later change starts them again without their sentinel.
    redis_cache.raw(lambda client: client.delete(editor._key(f"newsroom:{token}:soft")))
    newer = editor.record(token, ["entry-2"], hard=False)
    with pytest.raises(RecordsLost):
        worker.latest(token, ["entry-1"], newer)


def test_a_new_version_starts_a_new_copy(redis_cache):
    editor, worker = CacheVersionStore(), CacheVersionStore()
    old = new_version(editor)
    worker.latest(old, ["entry-1"], editor.record(old, ["entry-1"], hard=True))
    token = new_version(editor)
    generation = editor.record(token, ["entry-2"], hard=False)
    assert worker.latest(token, ["entry-1"], generation) == (0, 0)
    assert worker.latest(token, ["entry-2"], generation) == (generation, 0)


@pytest.mark.django_db(transaction=True)
def test_a_change_reaches_the_page_cache_when_it_commits(client, settings):
    from django.db import transaction
    from django.test import RequestFactory

    from newsroom.cache import cached_page

    from .factories import make_entry

    settings.PAGE_CACHE = True
    entry = make_entry(headline="Minister resigns")
    assert "Minister resigns" in client.get("/").text

    def first_reader():
        environ = RequestFactory().get("/").META
        return cached_page(environ), environ.get("newsroom.render_lock")

    with transaction.atomic():
        entry.headline = "Minister resigns after vote"
        entry.save()
        # Other readers still see the old row: the stored copy is what they would render.
        answered, lock = first_reader()
        assert answered is not None and lock is None
    answered, lock = first_reader()  # committed: the first reader renders the new version
    assert answered is None and lock is not None
    cache.delete(lock)  # that render is over without storing anything
    assert "Minister resigns after vote" in client.get("/").text

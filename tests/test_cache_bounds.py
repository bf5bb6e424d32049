"""The cache stays bounded: junk query strings store nothing, every key has a lifetime, and a
Redis that stops answering is skipped instead of slowing every page."""

import os
import secrets
import socket
import threading
import time

import pytest
from django.core.cache import cache

from .factories import make_entry, make_topic
from .servers import get, gunicorn, manage, production_env

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


@pytest.fixture(params=["local-memory", "redis"])
def any_cache(request, settings):
    """The default local-memory cache, or Redis under a prefix of this test's own."""
    if request.param == "local-memory":
        yield lambda: list(cache._cache)
        return
    import redis

    prefix = f"bounds-{secrets.token_hex(4)}"
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.redis_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    client = redis.Redis.from_url(REDIS_URL)
    yield lambda: [key.decode() for key in client.scan_iter(match=f"{prefix}:*")]
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def test_junk_query_parameters_store_nothing(client, any_cache):
    make_entry()
    for url in ["/", "/?page=2", "/entries/missing/"]:
        client.get(url)
    before = set(any_cache())
    for n in range(1000):
        assert client.get(f"/?z={n}").status_code == 200
    assert set(any_cache()) == before


def test_a_parameter_given_twice_or_an_unknown_one_beside_known_ones_stores_nothing(
    client, any_cache
):
    topic = make_topic(slug="politics")
    make_entry().topics.add(topic)
    client.get("/?topic=politics")  # the real page: stored with its count
    before = set(any_cache())
    for url in ["/?topic=politics&topic=politics", "/?topic=politics&utm_source=x"]:
        assert client.get(url).status_code == 200
    assert set(any_cache()) == before


def test_one_stored_page_per_query_whatever_its_spelling(client, any_cache):
    topic = make_topic(slug="politics")
    make_entry().topics.add(topic)
    client.get("/")
    before = set(any_cache())
    client.get("/?topic=politics&year=2024")
    stored = set(any_cache()) - before
    assert stored  # the page (and its count)
    for spelling in ["/?year=2024&topic=politics", "/?topic=politics&q=&year=2024&page=1"]:
        client.get(spelling)
    assert set(any_cache()) - before == stored
    client.get("/?page=1")
    assert set(any_cache()) - before == stored  # `/?page=1` is `/`, stored already


def test_every_redis_key_has_a_lifetime(client, settings):
    import redis

    prefix = f"lifetimes-{secrets.token_hex(4)}"
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.redis_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    topic = make_topic(slug="politics")
    entry = make_entry()
    entry.topics.add(topic)
    for url in [
        "/",
        "/?page=1",
        "/?topic=politics",
        entry.get_absolute_url(),
        "/topics/politics/",
        "/feeds/entries.rss",
        "/sitemap.xml",
        "/healthz",
    ]:
        client.get(url)
    client_ = redis.Redis.from_url(REDIS_URL)
    keys = list(client_.scan_iter(match=f"{prefix}:*"))
    try:
        assert len(keys) >= 5
        assert {key: client_.ttl(key) > 0 for key in keys} == dict.fromkeys(keys, True)
    finally:
        for key in keys:
            client_.delete(key)


@pytest.fixture
def silent_redis():
    """A socket that accepts connections and never answers, as a hung Redis does."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


@pytest.mark.django_db(transaction=False)
def test_a_silent_redis_is_skipped_after_a_few_requests(silent_redis, tmp_path, collected_static):
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}",
        CACHE_URL=silent_redis,
        PAGE_CACHE="true",
    )
    manage({**env, "CACHE_URL": "locmemcache://"}, "migrate", "--noinput")
    manage({**env, "CACHE_URL": "locmemcache://"}, "generate_entries", "5")
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        for _ in range(3):  # the failures that open the breaker (0.5 s timeout each)
            assert get(server.url("/"), timeout=30)[0] == 200
        times = []
        for _ in range(20):
            started = time.monotonic()
            status, _, text = get(server.url("/"), timeout=30)
            times.append(time.monotonic() - started)
            assert status == 200
            assert "5 Entries" in text
        assert max(times) < 0.1, times
        assert server.output().count("Cache unreachable") == 1

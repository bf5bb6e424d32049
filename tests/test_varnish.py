"""deploy/varnish/default.vcl in front of a real gunicorn: what readers get through Varnish.

The app runs with production settings, its page cache in Redis (TEST_REDIS_URL, keys under a
per-run prefix, never flushed) and a SQLite file shared with the `manage.py shell` that plays
the editor; its purge hook points at Varnish. A page's `X-Cache` (set by the VCL) says
whether Varnish answered it from its cache.
"""

import os
import secrets
import signal
import time

import pytest

from .servers import closed_port, free_port, get, gunicorn, manage, production_env
from .varnish import varnish

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")

pytestmark = pytest.mark.usefixtures("varnish_installed")


@pytest.fixture
def varnish_installed():
    from .varnish import varnishd

    varnishd()


def delete_keys(prefix):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def site(tmp_path, collected_static):
    """The app's environment, with its database migrated and twelve entries."""
    prefix = f"varnish-{secrets.token_hex(4)}"
    varnish_port = free_port()
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CACHE_URL=f"{REDIS_URL}?key_prefix={prefix}",
        PAGE_CACHE="true",
        PAGE_S_MAXAGE="60",
        CACHE_PURGE_URL=f"http://127.0.0.1:{varnish_port}/",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "generate_entries", "12")
    env["VARNISH_PORT"] = str(varnish_port)
    yield env
    delete_keys(prefix)


@pytest.fixture
def front(site, tmp_path):
    """(varnish, gunicorn) with the site's environment."""
    with gunicorn(site, tmp_path / "gunicorn.log") as app:
        with varnish(tmp_path, int(site["VARNISH_PORT"]), app.port) as cache:
            yield cache, app


def editor(env, code):
    """Runs `code` as an editor would change content (a separate process); returns when it
    committed (the time it printed) after its purges were sent."""
    out = manage(env, "shell", "-c", f"{code}\nimport time; print(time.time())")
    return float(out.strip().splitlines()[-1])


def cached_twice(cache, path):
    """Fetch `path` until Varnish answers it from its cache; the response."""
    for _ in range(3):
        response = get(cache.url(path))
        if response[1]["X-Cache"] == "HIT":
            return response
    raise AssertionError(f"{path} never became a Varnish hit: {response[1]}")


def seen_within(cache, path, predicate, seconds=1.0):
    """Poll `path` through Varnish until `predicate(html)`; the time it first held, or None."""
    deadline = time.time() + seconds
    while True:
        status, _, html = get(cache.url(path))
        if predicate(status, html):
            return time.time()
        if time.time() > deadline:
            return None
        time.sleep(0.02)


ENTRY_QUERY = "from entries.models import Entry; "


def slugs(env):
    out = manage(
        env,
        "shell",
        "-c",
        ENTRY_QUERY + "print(' '.join(Entry.objects.values_list('slug', flat=True)))",
    )
    return out.strip().splitlines()[-1].split()


def test_a_published_entry_is_on_the_listing_through_varnish_within_a_second(front, site):
    cache, _ = front
    newest_first = slugs(site)
    oldest = f"/entries/{newest_first[-1]}/"
    other = f"/entries/{newest_first[5]}/"
    for path in ("/", oldest, other):
        cached_twice(cache, path)

    committed = editor(
        site,
        ENTRY_QUERY + "Entry.objects.create(headline='Breaking through Varnish', "
        "slug='breaking', summary='Just in.', status='published')",
    )
    seen = seen_within(cache, "/", lambda status, html: "Breaking through Varnish" in html)
    assert seen is not None, "the new entry never showed on / through Varnish"
    assert seen - committed < 1.0
    assert "13 Entries" in get(cache.url("/"))[2]
    assert get(cache.url("/entries/breaking/"))[0] == 200
    # An entry page the new one does not link to stayed in Varnish's cache.
    assert get(cache.url(oldest))[1]["X-Cache"] == "HIT"

    # A typo fixed in one entry's body: that page is fresh, the listing and others stay cached.
    committed = editor(
        site,
        ENTRY_QUERY + f"e = Entry.objects.get(slug='{newest_first[5]}'); "
        "e.body = 'Corrected body text.'; e.save()",
    )
    seen = seen_within(cache, other, lambda status, html: "Corrected body text." in html)
    assert seen is not None and seen - committed < 1.0
    assert get(cache.url("/"))[1]["X-Cache"] == "HIT"
    assert get(cache.url(oldest))[1]["X-Cache"] == "HIT"


def test_an_unpublished_entry_is_gone_through_varnish_at_once(front, site):
    cache, _ = front
    slug = slugs(site)[0]
    cached_twice(cache, f"/entries/{slug}/")
    cached_twice(cache, "/")

    editor(site, ENTRY_QUERY + f"Entry.objects.filter(slug='{slug}').update(status='draft')")
    # A hard purge: no stale copy, not even for the first reader.
    assert get(cache.url(f"/entries/{slug}/"))[0] == 404
    listing = get(cache.url("/"))[2]
    assert f"/entries/{slug}/" not in listing and "11 Entries" in listing


def test_signed_in_users_and_the_admin_are_never_served_from_varnish(front):
    cache, _ = front
    cached_twice(cache, "/")
    for _ in range(2):
        status, headers, _ = get(cache.url("/"), headers={"Cookie": "sessionid=abc123"})
        assert status == 200 and headers["X-Cache"] == "PASS"
    for _ in range(2):
        status, headers, _ = get(cache.url("/admin/login/"))
        assert status == 200 and headers["X-Cache"] == "PASS"
    # Readers never see the keys meant for caches.
    headers = get(cache.url("/"))[1]
    assert "xkey" not in headers and "Cache-Tag" not in headers


def test_other_cookies_do_not_split_or_bypass_the_cache(front):
    cache, _ = front
    cached_twice(cache, "/")
    assert get(cache.url("/"), headers={"Cookie": "csrftoken=x"})[1]["X-Cache"] == "HIT"


def test_identical_requests_for_one_page_make_one_backend_fetch(front, site):
    cache, _ = front
    from concurrent.futures import ThreadPoolExecutor

    path = f"/entries/{slugs(site)[3]}/"
    before = cache.counter("MAIN.backend_req")
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: get(cache.url(path)), range(8)))
    assert all(status == 200 for status, _, _ in answers)
    assert cache.counter("MAIN.backend_req") - before == 1


def test_stale_pages_while_revalidating_and_when_the_app_is_down(site, tmp_path):
    site = {**site, "PAGE_S_MAXAGE": "1", "PAGE_STALE_WHILE_REVALIDATE": "2"}
    port = int(site["VARNISH_PORT"])
    with gunicorn(site, tmp_path / "gunicorn.log") as app:
        with varnish(tmp_path, port, app.port) as cache:
            status, headers, _ = get(cache.url("/"))
            assert status == 200 and "s-maxage=1" in headers["Cache-Control"]
            time.sleep(1.5)  # expired, within stale-while-revalidate
            status, headers, _ = get(cache.url("/"))
            assert status == 200 and headers["X-Cache"] == "HIT-STALE"

    # Then the app goes down: the last good copy is served, for stale-if-error.
    with gunicorn(site, tmp_path / "gunicorn2.log") as app:
        with varnish(tmp_path, free_port(), app.port) as cache:
            assert get(cache.url("/"))[0] == 200
            os.killpg(app.process.pid, signal.SIGTERM)
            app.process.wait(timeout=15)
            time.sleep(3.5)  # past s-maxage and stale-while-revalidate
            status, headers, html = get(cache.url("/"))
            assert status == 200, html
            assert headers["X-Cache"] == "HIT-STALE" and "12 Entries" in html


def test_purges_are_refused_from_addresses_outside_the_acl(tmp_path):
    with varnish(tmp_path, free_port(), closed_port(), purgers=("192.0.2.1",)) as cache:
        import urllib.request

        request = urllib.request.Request(
            cache.url("/"), method="PURGE", headers={"xkey-purge": "site"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
        assert refused.value.code == 403

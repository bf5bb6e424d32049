"""Whatever process saves, the next anonymous request to any worker shows the change.

Real gunicorn with several workers, as `make run` serves (SQLite, the default local-memory
cache) and as production does (Redis): a publish or an unpublish through the admin, or a save
from a separate `manage.py` process, and then every one of 20 anonymous requests, spread over
every worker, shows it.
"""

import os
import secrets
import subprocess
import sys

import pytest

from .admin_session import PASSWORD, AdminSession
from .servers import GUNICORN, ROOT, get, gunicorn, manage, production_env

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
ANONYMOUS_REQUESTS = 20


@pytest.fixture(params=["local-memory", "redis"])
def site(request, tmp_path, collected_static):
    extra = {}
    if request.param == "redis":
        prefix = f"freshness-{secrets.token_hex(4)}"
        extra["CACHE_URL"] = f"{REDIS_URL}?key_prefix={prefix}"
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}",
        PAGE_CACHE="true",
        **extra,
    )
    del env["GUNICORN_WORKERS"]  # gunicorn.conf.py's default, as `make run` starts it
    manage(env, "migrate", "--noinput")
    manage(env, "generate_entries", "12")
    shell(
        env,
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_superuser('chief', 'chief@example.org', '{PASSWORD}')",
    )
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        yield env, server
    if request.param == "redis":
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"{prefix}:*"):
            client.delete(key)


def shell(env, code):
    manage(env, "shell", "-c", code)


def warm(server, path="/"):
    """Enough requests that every worker has the page stored (and serves it from memory)."""
    for _ in range(30):
        assert get(server.url(path))[0] == 200


def anonymous_pages(server, path="/"):
    return [get(server.url(path)) for _ in range(ANONYMOUS_REQUESTS)]


def test_a_publish_through_the_admin_reaches_every_worker(site):
    _, server = site
    warm(server)
    admin = AdminSession(server)
    admin.post(
        "/admin/entries/entry/add/",
        {
            "headline": "Published through the admin form",
            "slug": "published-through-the-admin",
            "summary": "Seen by every worker at once.",
            "body": "The body.",
            "status": "draft",  # the "Publish or schedule" button publishes it
            "_publish": "Publish",
        },
    )
    pages = anonymous_pages(server)
    assert [status for status, _, _ in pages] == [200] * ANONYMOUS_REQUESTS
    assert sum("Published through the admin form" in text for _, _, text in pages) == len(pages)
    assert all("13 Entries" in text for _, _, text in pages)


def test_a_save_from_another_process_reaches_every_worker(site):
    env, server = site
    warm(server)
    shell(
        env,
        "from entries.models import Entry; "
        "Entry.objects.create(headline='Saved from the shell', slug='from-the-shell', "
        "summary='Another process.', status='published')",
    )
    pages = anonymous_pages(server)
    assert sum("Saved from the shell" in text for _, _, text in pages) == len(pages)


def test_an_unpublish_through_the_admin_takes_the_story_down_everywhere(site):
    env, server = site
    shell(
        env,
        "from entries.models import Entry; "
        "Entry.objects.create(headline='Pulled for legal reasons', slug='pulled', "
        "summary='Must go.', status='published')",
    )
    warm(server, "/entries/pulled/")
    warm(server)
    code = "from entries.models import Entry; print(Entry.objects.get(slug='pulled').pk)"
    entry_id = manage(env, "shell", "-v", "0", "-c", code).split()[-1]
    admin = AdminSession(server)
    admin.post(
        "/admin/entries/entry/",
        {"action": "unpublish", "_selected_action": entry_id, "index": "0"},
    )
    assert [status for status, _, _ in anonymous_pages(server, "/entries/pulled/")] == [
        404
    ] * ANONYMOUS_REQUESTS
    assert not any("Pulled for legal reasons" in text for _, _, text in anonymous_pages(server))


def test_a_configuration_that_cannot_stay_fresh_is_refused_at_start(tmp_path, collected_static):
    """A process-local cache whose version cannot be shared, with several workers: refused."""
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}",
        PAGE_CACHE="true",
        GUNICORN_WORKERS="3",
        PAGE_CACHE_VERSION_FILE="/proc/no-such-place/content-version",
        GUNICORN_BIND="127.0.0.1:0",
    )
    result = subprocess.run(
        [sys.executable, GUNICORN, "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "cannot share its content version" in result.stderr
    assert "CACHE_URL=redis://" in result.stderr

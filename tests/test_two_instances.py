"""Two gunicorn instances sharing PostgreSQL and Redis never serve each other's stale pages.

TEST_POSTGRES_URL names the scratch database (a per-run suffix is added, so two suites running
at once never drop each other's); TEST_REDIS_URL the Redis database (keys get a per-run prefix;
nothing is flushed).
"""

import os
import secrets

import pytest

from .servers import get, gunicorn, manage, production_env

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/newsroom_production_instances"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture
def shared_services(tmp_path, collected_static):
    psycopg = pytest.importorskip("psycopg")
    server_url, name = POSTGRES_URL.rsplit("/", 1)
    name = f"{name}_{secrets.token_hex(4)}"
    database_url = f"{server_url}/{name}"
    try:
        admin = psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is needed at {server_url} (.ci/run starts it): {exc}")
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    prefix = f"two-instances-{secrets.token_hex(4)}"
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=database_url,
        CACHE_URL=f"{REDIS_URL}?key_prefix={prefix}",
        PAGE_CACHE="true",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "generate_entries", "12")
    yield env
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    delete_keys(prefix)


def delete_keys(prefix):
    """Remove this run's keys only (the Redis database may be shared; never FLUSHDB)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def shell(env, code):
    manage(env, "shell", "-c", code)


def test_an_entry_published_through_one_instance_is_on_the_others_listing(
    shared_services, tmp_path
):
    env = shared_services
    with gunicorn(env, tmp_path / "a.log") as a, gunicorn(env, tmp_path / "b.log") as b:
        for server in (a, b):
            for _ in range(2):  # the second answer comes from the shared cache
                status, _, html = get(server.url("/"))
                assert status == 200
                assert "12 Entries" in html
                assert "Breaking from instance A" not in html

        # Published with instance A's settings: same database, same Redis.
        shell(
            env,
            "from entries.models import Entry; "
            "Entry.objects.create(headline='Breaking from instance A', slug='breaking', "
            "summary='Just in.', status='published')",
        )
        status, _, html = get(b.url("/"))
        assert "Breaking from instance A" in html
        assert "13 Entries" in html
        assert get(b.url("/entries/breaking/"))[0] == 200

        # A bulk unpublish (QuerySet.update, no signals) is seen by both at once too.
        shell(
            env,
            "from entries.models import Entry; "
            "Entry.objects.filter(slug='breaking').update(status='draft')",
        )
        for server in (a, b):
            html = get(server.url("/"))[2]
            assert "Breaking from instance A" not in html
            assert "12 Entries" in html
            assert get(server.url("/entries/breaking/"))[0] == 404

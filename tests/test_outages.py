"""Redis down, the database down: pages keep being served (fresh or as they were), editors'
saves succeed, and no visitor ever sees a traceback. (Varnish down and failing purges:
tests/test_purge.py and tests/test_varnish.py.)"""

from .admin_session import PASSWORD, AdminSession
from .servers import closed_port, get, gunicorn, manage, production_env


def site_env(tmp_path, collected_static, **extra):
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}",
        PAGE_CACHE="true",
        **{"GUNICORN_WORKERS": "2", **extra},
    )
    setup = {**env, "CACHE_URL": "locmemcache://"}
    manage(setup, "migrate", "--noinput")
    manage(setup, "generate_entries", "12")
    manage(
        setup,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model; "
        f"get_user_model().objects.create_superuser('chief', 'c@example.org', '{PASSWORD}')",
    )
    return env


def assert_no_traceback(text):
    assert "Traceback" not in text
    assert 'File "' not in text


def test_with_redis_down_pages_are_served_and_an_editor_publishes(tmp_path, collected_static):
    env = site_env(tmp_path, collected_static, CACHE_URL=f"redis://127.0.0.1:{closed_port()}/0")
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        for path in ["/", "/?page=2", "/topics/", "/feeds/entries.rss", "/sitemap.xml"]:
            status, _, text = get(server.url(path))
            assert status == 200, path
            assert_no_traceback(text)
        AdminSession(server).post(
            "/admin/entries/entry/add/",
            {
                "headline": "Published while Redis is down",
                "slug": "redis-down",
                "summary": "Saved all the same.",
                "body": "Body.",
                "status": "draft",
                "_publish": "Publish",
            },
        )
        for _ in range(4):
            status, _, text = get(server.url("/"))
            assert status == 200
            assert "Published while Redis is down" in text
            assert "13 Entries" in text
        assert "Traceback" not in server.output()


def test_with_the_database_down_stored_pages_are_still_served(tmp_path, collected_static):
    # One worker: with the local-memory cache each worker holds the pages it rendered itself.
    env = site_env(tmp_path, collected_static, GUNICORN_WORKERS="1")
    database = tmp_path / "site.sqlite3"
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        entry_path = (
            "/entries/" + get(server.url("/"))[2].split('href="/entries/', 1)[1].split('"', 1)[0]
        )
        for _ in range(3):
            for path in ["/", entry_path]:
                assert get(server.url(path))[0] == 200
        database.rename(tmp_path / "elsewhere.sqlite3")  # the database is gone
        try:
            for _ in range(6):
                for path in ["/", entry_path]:
                    status, _, text = get(server.url(path))
                    assert status == 200, path
                    assert "12 Entries" in text or path != "/"
            status, _, text = get(server.url("/?page=2"))  # never stored: no database, no page
            assert status == 503
            assert_no_traceback(text)
        finally:
            (tmp_path / "elsewhere.sqlite3").rename(database)
        assert get(server.url("/?page=2"))[0] == 200

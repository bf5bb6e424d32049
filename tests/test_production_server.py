"""The site under gunicorn with production settings: static files, /healthz, faults, fast path.

Each server is a real subprocess on a free port; faults point CACHE_URL or DATABASE_URL at a
loopback port nothing listens on.
"""

import json
import re

import pytest

from .servers import closed_port, get, gunicorn, manage, production_env


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    """A migrated SQLite database with a dozen entries, and the environment to serve it."""
    tmp = tmp_path_factory.mktemp("site")
    env = production_env(
        tmp, collected_static, DATABASE_URL=f"sqlite:///{tmp / 'site.sqlite3'}", PAGE_CACHE="true"
    )
    manage(env, "migrate", "--noinput")
    manage(env, "generate_entries", "12")
    return tmp, env


def entry_path(html):
    return re.search(r'href="(/entries/[^"]+/)"', html).group(1)


def test_hashed_static_files_are_compressed_and_cached_for_a_year(site):
    tmp, env = site
    with gunicorn(env, tmp / "static.log") as server:
        html = get(server.url("/"))[2]
        css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html).group(1)
        status, headers, _ = get(server.url(css))
        assert status == 200
        assert "max-age=315360000" in headers["Cache-Control"]
        assert "immutable" in headers["Cache-Control"]
        gzipped = get(server.url(css), headers={"Accept-Encoding": "gzip"})[1]
        assert gzipped["Content-Encoding"] == "gzip"


def test_cached_pages_replay_the_same_headers_and_answer_304(site):
    tmp, env = site
    with gunicorn(env, tmp / "fast.log") as server:
        first = get(server.url("/"))
        second = get(server.url("/"))  # answered by the WSGI fast path
        assert first[2] == second[2]

        def without_date(headers):
            return {k: v for k, v in headers.items() if k not in ("Date",)}

        assert without_date(second[1]) == without_date(first[1])
        assert "Content-Security-Policy" in second[1]
        status = get(server.url("/"), headers={"If-None-Match": second[1]["ETag"]})[0]
        assert status == 304


def test_healthz_reports_database_and_cache(site):
    tmp, env = site
    with gunicorn(env, tmp / "health.log") as server:
        status, headers, body = get(server.url("/healthz"))
        assert status == 200
        assert json.loads(body) == {"status": "ok", "database": "ok", "cache": "ok"}
        assert "no-cache" in headers["Cache-Control"]


def test_with_redis_unreachable_every_page_is_served_from_the_database(site):
    tmp, env = site
    env = {**env, "CACHE_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    with gunicorn(env, tmp / "redis-down.log") as server:
        status, _, html = get(server.url("/"))
        assert status == 200
        assert "12 Entries" in html
        assert get(server.url(entry_path(html)))[0] == 200
        assert get(server.url("/?page=2"))[0] == 200
        assert get(server.url("/"))[0] == 200
        status, _, body = get(server.url("/healthz"))
        assert status == 200
        assert json.loads(body)["cache"] == "unreachable"
        assert "Cache unavailable, serving from the database" in server.output()


def test_with_the_database_unreachable_pages_are_a_plain_503(site):
    tmp, env = site
    env = {**env, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/nothing"}
    with gunicorn(env, tmp / "db-down.log") as server:
        for path in ["/", "/?page=2", "/entries/generated-entry-1-1/"]:
            status, headers, html = get(server.url(path))
            assert status == 503, path
            assert "Temporarily unavailable" in html
            assert "Traceback" not in html and "OperationalError" not in html
            assert headers["Retry-After"] == "30"
        status, _, body = get(server.url("/healthz"))
        assert status == 503
        assert json.loads(body)["database"] == "unreachable"

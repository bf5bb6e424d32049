"""Kept database connections: checked at each request without a query, replaced when dead.

PostgreSQL only (SQLite has no server to lose). The checks use connections of their own, so
the test session's connection is never touched.
"""

import secrets
import time
from unittest import mock

import pytest
from django.db import connection, connections

from .servers import get, gunicorn, production_env

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a PostgreSQL server"
)


def terminate(application_name=None, pid=None):
    """End server backends the way a restart or an idle timeout would, and wait until they
    are gone (the signal is asynchronous): their last message and end of stream are then on
    the client's socket. Returns how many were ended."""
    which = "pid = %s" if pid is not None else "application_name = %s"
    value = pid if pid is not None else application_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE {which}",
            [value],
        )
        ended = cursor.fetchone()[0]
        deadline = time.monotonic() + 10
        while True:
            # Statistics views are read once per transaction unless the snapshot is cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(f"SELECT count(*) FROM pg_stat_activity WHERE {which}", [value])
            if cursor.fetchone()[0] == 0:
                return ended
            assert time.monotonic() < deadline, "the backend did not exit"
            time.sleep(0.05)


@pytest.fixture
def kept_connection():
    """A second connection to the test database, as a server worker keeps one."""
    db = connections.create_connection("default")
    # A copy: the wrapper is handed the project's own settings dict, which every later
    # connection of the test run is made from.
    db.settings_dict = {**db.settings_dict, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}
    db.ensure_connection()
    yield db
    db.close()


def new_request(db):
    db.health_check_done = False  # what Django does when a request starts


@pytest.mark.django_db
def test_a_live_connection_is_reused_without_asking_the_server(kept_connection):
    backend = kept_connection.connection.info.backend_pid
    new_request(kept_connection)
    with mock.patch.object(kept_connection, "is_usable", side_effect=AssertionError("query")):
        kept_connection.close_if_health_check_failed()
    assert kept_connection.connection.info.backend_pid == backend


@pytest.mark.django_db
def test_a_connection_the_server_ended_is_replaced_before_the_first_query(kept_connection):
    backend = kept_connection.connection.info.backend_pid
    assert terminate(pid=backend) == 1
    new_request(kept_connection)
    kept_connection.close_if_health_check_failed()
    with kept_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert kept_connection.connection.info.backend_pid != backend


@pytest.mark.django_db(transaction=True)
def test_pages_keep_working_after_the_database_drops_the_servers_connections(
    tmp_path, collected_static
):
    name = f"newsroom-test-{secrets.token_hex(4)}"
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}?application_name={name}"
    )
    # No page cache: every request below must use the database connection.
    env = production_env(
        tmp_path, collected_static, DATABASE_URL=url, CONN_MAX_AGE="60", PAGE_CACHE="false"
    )
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        assert get(server.url("/"))[0] == 200
        assert terminate(application_name=name) == 1  # the worker's kept connection
        for _ in range(3):
            status, _, html = get(server.url("/"))
            assert status == 200, html[:500]
        assert "Traceback" not in server.output()

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
    """End server backends the way a restart or an idle timeout would."""
    with connection.cursor() as cursor:
        if pid is not None:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        else:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [application_name],
            )
            return cursor.fetchone()[0]


@pytest.fixture
def kept_connection():
    """A second connection to the test database, as a server worker keeps one."""
    db = connections.create_connection("default")
    db.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
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
    terminate(pid=backend)
    time.sleep(0.2)  # the server's goodbye reaches the socket
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
    env = production_env(tmp_path, collected_static, DATABASE_URL=url, CONN_MAX_AGE="60")
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        assert get(server.url("/"))[0] == 200
        assert terminate(application_name=name) == 1  # the worker's kept connection
        time.sleep(0.2)
        for _ in range(3):
            status, _, html = get(server.url("/"))
            assert status == 200, html[:500]
        assert "Traceback" not in server.output()

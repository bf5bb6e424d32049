"""Every migration applies to an empty database and reverses back to zero.

Run on a separate database (a temporary SQLite file, or `<test database>_migrations` on
PostgreSQL) so the suite's own test database is never left half-migrated.
"""

import pytest
from django.db import connection as default_connection
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

ALIAS = "migrations_check"
# django-tasks-db's task queue: some of its own data migrations cannot be reversed, and it
# depends on no app of ours.
KEPT_APPS = {"django_tasks_database"}
KEPT_TABLES = ("django_tasks_database_",)


@pytest.fixture
def empty_database(transactional_db, django_db_blocker, tmp_path):
    """A connection to a new, empty database of the same kind as the suite's.

    Registered under its own alias because migrations that run Python look their database up
    by alias. `transactional_db` first: the default connection is then the test database's,
    outside any transaction (CREATE DATABASE cannot run inside one).
    """
    settings_dict = {**default_connection.settings_dict}
    with django_db_blocker.unblock():
        if default_connection.vendor == "sqlite":
            settings_dict["NAME"] = str(tmp_path / "migrations.sqlite3")
        else:
            # The suite's test database is test_<name>; this one is test_<name>_migrations.
            settings_dict["NAME"] = f"{default_connection.settings_dict['NAME']}_migrations"
            quoted = default_connection.ops.quote_name(settings_dict["NAME"])
            with default_connection.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {quoted}")
                cursor.execute(f"CREATE DATABASE {quoted}")
        connections.settings[ALIAS] = settings_dict
        connection = connections[ALIAS]
        try:
            yield connection
        finally:
            connection.close()
            del connections[ALIAS]
            del connections.settings[ALIAS]
            if default_connection.vendor != "sqlite":
                with default_connection.cursor() as cursor:
                    cursor.execute(f"DROP DATABASE {quoted}")


def user_tables(connection):
    return set(connection.introspection.table_names()) - {"django_migrations"}


def test_all_migrations_apply_and_reverse_to_zero(empty_database):
    connection = empty_database
    assert user_tables(connection) == set()

    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate(leaves)
    tables = user_tables(connection)
    assert {"entries_entry", "entries_image", "entries_topic", "entries_entry_topics"} <= tables

    # Back to zero, app by app in the order the graph allows: every migration reverses.
    executor = MigrationExecutor(connection)
    apps = executor.loader.migrated_apps - KEPT_APPS
    plan = executor.migration_plan([(app, None) for app in apps])
    assert all(backwards for _migration, backwards in plan)
    executor.migrate([(app, None) for app in apps])
    assert {
        table for table in user_tables(connection) if not table.startswith(KEPT_TABLES)
    } == set()

    # And forward again, as a deploy after a rollback would.
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert user_tables(connection) == tables

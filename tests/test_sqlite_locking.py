"""SQLite under `make run`: gunicorn and the task worker write to one file. A transaction that
reads and then writes must wait for the other process's write to finish, not fail at once
with "database is locked" (newsroom/settings.py takes the write lock at BEGIN)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# One thread holds a write transaction for half a second; meanwhile another, with its own
# connection, reads and then writes in a transaction of its own. Prints what the second saw.
SCRIPT = textwrap.dedent(
    """
    import threading, time
    import django
    django.setup()
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS saves (n integer)")
    holding = threading.Event()

    def other_process_saving():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO saves VALUES (1)")
            holding.set()
            time.sleep(0.5)
        connection.close()

    writer = threading.Thread(target=other_process_saving)
    writer.start()
    holding.wait()
    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM saves")
            cursor.execute("INSERT INTO saves VALUES (2)")
    writer.join()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM saves")
        print(cursor.fetchone()[0], round(time.monotonic() - started, 2))
    """
)


def run_save_race(tmp_path):
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'race.sqlite3'}",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_save_that_reads_first_waits_for_another_writer(tmp_path):
    result = run_save_race(tmp_path)
    assert result.returncode == 0, result.stderr
    saved, waited = result.stdout.split()
    assert saved == "2"  # both saves are in the file
    assert float(waited) >= 0.3  # the second one waited for the first to commit

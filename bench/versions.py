"""The history at scale: 100,000 entries and 1,000,000 versions on PostgreSQL.

    python bench/versions.py [--entries 100000] [--versions-per-entry 10] [--keep]

Builds a scratch database (BENCH_POSTGRES_URL, database BENCH_VERSIONS_DATABASE, default
newsroom_versions_scale; dropped afterwards unless --keep) with the demo content grown by
`generate_entries`, then writes the versions with SQL, each in reversion's own JSON format
(the entry's real headline, slug, summary, body, photo, topics and dates; one revision per
version, dated over the past years, half by "system"). Then it measures in this machine's
Python, with the page cache off:

- an entry's History page and a comparison of two of its versions (time, queries);
- an admin save of that entry: its queries with the history, and without it (the difference
  is what the history costs);
- the entries changelist and the deleted-entries list (after deleting 100 entries).

Prints a table and writes bench/results/versions.json. A one-off measurement: run it on a
quiet machine (it writes about 2 GB).
"""

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/")
DATABASE = os.environ.get("BENCH_VERSIONS_DATABASE", "newsroom_versions_scale")
RESULTS = ROOT / "bench" / "results" / "versions.json"

VERSIONS_SQL = """
INSERT INTO reversion_revision (date_created, comment, user_id)
SELECT now() - ((%(total)s - g.n) * interval '30 seconds'), 'Edited', NULL
FROM generate_series(1, %(total)s) AS g(n);

WITH numbered AS (
    SELECT e.*, row_number() OVER (ORDER BY e.id) AS position FROM entries_entry e
), revisions AS (
    SELECT id, row_number() OVER (ORDER BY id) AS position FROM reversion_revision
)
INSERT INTO reversion_version
    (object_id, content_type_id, db, format, serialized_data, object_repr, revision_id)
SELECT
    e.id::text, %(content_type)s, 'default', 'json',
    json_build_array(json_build_object(
        'model', 'entries.entry', 'pk', e.id,
        'fields', json_build_object(
            'headline', e.headline || CASE WHEN v.n > 1 THEN ' (draft ' || v.n || ')' ELSE '' END,
            'slug', e.slug, 'summary', e.summary, 'body', e.body, 'image', e.image_id,
            'topics', (SELECT coalesce(json_agg(t.topic_id ORDER BY t.topic_id), '[]'::json)
                       FROM entries_entry_topics t WHERE t.entry_id = e.id),
            'status', e.status, 'pub_date', e.pub_date, 'pub_date_chosen', true,
            'planned_date', NULL, 'version', v.n)))::text,
    e.headline, r.id
FROM numbered e
CROSS JOIN generate_series(1, %(per_entry)s) AS v(n)
JOIN revisions r ON r.position = (v.n - 1) * %(entries)s + e.position;

UPDATE reversion_revision SET user_id = %(user)s WHERE id %% 2 = 0;
ANALYZE;
"""


def scratch(create):
    import psycopg

    with psycopg.connect(POSTGRES_URL.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def build(env, entries, per_entry):
    def manage(*command):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    manage("migrate", "--noinput")
    manage("load_demo")
    manage("generate_entries", str(entries - 181))
    manage("collectstatic", "--noinput")
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("DELETE FROM reversion_version")
        conn.execute("DELETE FROM reversion_revision")
        content_type = conn.execute(
            "SELECT id FROM django_content_type WHERE app_label = 'entries' AND model = 'entry'"
        ).fetchone()[0]
        user = conn.execute(
            "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, "
            "email, is_staff, is_active, date_joined) VALUES ('!', true, 'bench-editor', '', "
            "'', '', true, true, now()) RETURNING id"
        ).fetchone()[0]
        count = conn.execute("SELECT count(*) FROM entries_entry").fetchone()[0]
        started = time.monotonic()
        with conn.cursor() as cursor:
            params = {
                "total": count * per_entry,
                "content_type": content_type,
                "per_entry": per_entry,
                "entries": count,
                "user": user,
            }
            for statement in VERSIONS_SQL.split(";\n"):
                if "%(" in statement:
                    cursor.execute(statement, params)
                elif statement.strip():
                    cursor.execute(statement)
        print(f"wrote {count * per_entry} versions in {time.monotonic() - started:.0f} s")
        versions = conn.execute("SELECT count(*) FROM reversion_version").fetchone()[0]
        size = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('reversion_version'))"
        ).fetchone()[0]
    return {"entries": count, "versions": versions, "version_table": size}


def measure(repeat):
    """Runs inside the scratch database's Django (see main)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from entries import history
    from entries.models import Entry

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="bench-editor"))
    entry = Entry.objects.order_by("pk")[Entry.objects.count() // 2]
    versions = list(history.versions_of(entry).values_list("pk", flat=True))
    # A hundred deletions, so the deleted-entries list has something to list.
    doomed = Entry.objects.exclude(pk=entry.pk).order_by("-pk").values_list("pk", flat=True)
    Entry.objects.filter(pk__in=list(doomed[:100])).delete()

    def timed(url, data=None):
        client.get(url)  # warm
        queries = []

        def count(execute, sql, *args):
            queries.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - start) * 1000)
        return {
            "url": url,
            "queries": len(queries),
            "median_ms": round(statistics.median(times), 1),
            "min_ms": round(min(times), 1),
        }

    def save_queries(headline):
        entry.refresh_from_db()
        when = timezone.localtime(entry.pub_date)
        data = {
            "headline": headline,
            "slug": entry.slug,
            "summary": entry.summary,
            "body": entry.body,
            "image": entry.image_id or "",
            "status": entry.status,
            "pub_date_0": when.strftime("%Y-%m-%d"),
            "pub_date_1": when.strftime("%H:%M:%S"),
            "topics": [t.pk for t in entry.topics.all()],
            "opened_version": entry.version,
            "_save": "Save",
        }
        queries = []

        def count(execute, sql, *args):
            queries.append(sql)
            return execute(sql, *args)

        start = time.perf_counter()
        with connection.execute_wrapper(count):
            response = client.post(f"/admin/entries/entry/{entry.pk}/change/", data)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 302, response.content[:2000]
        return len(queries), round(elapsed, 1)

    results = {
        "history_page": timed(f"/admin/entries/entry/{entry.pk}/history/"),
        "compare": timed(
            f"/admin/entries/entry/{entry.pk}/history/compare/?from={versions[-1]}&to={versions[0]}"
        ),
        "changelist": timed("/admin/entries/entry/"),
        "deleted_entries": timed("/admin/entries/entry/recover/"),
    }
    with_history, with_ms = save_queries(entry.headline + " (saved)")
    real_add = history.add
    history.add = lambda *args, **kwargs: None
    try:
        without, without_ms = save_queries(entry.headline + " (saved again)")
    finally:
        history.add = real_add
    results["save"] = {
        "queries_with_history": with_history,
        "queries_without_history": without,
        "added_by_history": with_history - without,
        "ms_with_history": with_ms,
        "ms_without_history": without_ms,
    }
    results["entry_versions"] = len(versions)
    return results


def main():
    parser = argparse.ArgumentParser(description="History pages at 1,000,000 versions.")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--versions-per-entry", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--measure-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_only:
        print(json.dumps(measure(args.repeat)))
        return

    work = Path(tempfile.mkdtemp(prefix="newsroom-versions-"))
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "DATABASE_URL": POSTGRES_URL.rstrip("/") + f"/{DATABASE}",
        "PAGE_CACHE": "false",
    }
    env.pop("CACHE_URL", None)
    try:
        scratch(create=True)
        started = time.monotonic()
        data = build(env, args.entries, args.versions_per_entry)
        data["build_seconds"] = round(time.monotonic() - started)
        out = subprocess.run(
            [sys.executable, __file__, "--measure-only", "--repeat", str(args.repeat)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        data.update(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        if not args.keep:
            scratch(create=False)
    data["measured"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    data["load_average"] = os.getloadavg()[0]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(data, indent=2))
    print(json.dumps(data, indent=2))


if __name__ == "__main__":
    main()

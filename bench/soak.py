#!/usr/bin/env python
"""Soak test: 60 seconds of load at 64 connections while an editor publishes every second.

    .venv/bin/python bench/soak.py                  # or: make soak
    SOAK_DATABASE_URL=postgres://... SOAK_CACHE_URL=redis://127.0.0.1:6379/4 make soak

Starts its own gunicorn (DEBUG off, PostgreSQL, Redis cache) on a free loopback port, warms
it up for 10 s, then runs wrk against "/" and entry pages while a separate editor process
creates and publishes one entry per second through the ORM. It checks:

- zero errors: no socket errors, timeouts or non-2xx/3xx answers (wrk's counts);
- no deadlock: every editor save finishes, none takes over 5 s, PostgreSQL counts no deadlock;
- every entry the editor published is visible afterwards (its page answers 200);
- gunicorn workers' memory (RSS from /proc) grows less than 10% from after the warm-up.

Results go to bench/results/soak-<time>.json and into docs/performance.md (between the soak
markers). The demo content is loaded when the database has none; the entries the editor made
and the soak's Redis keys (a per-run prefix; nothing else is flushed) are deleted at the end,
the servers are stopped and the temporary folder removed.
"""

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
DOC = BASE_DIR / "docs" / "performance.md"
DOC_START, DOC_END = "<!-- soak:start -->", "<!-- soak:end -->"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/newsroom_soak"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/0"
MAX_SAVE_SECONDS = 5.0
MAX_RSS_GROWTH = 0.10


# -- the editor: a separate process publishing one entry per second ------------------------


def run_editor(duration, run_id):
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from entries.models import Entry, Topic

    # The new entries are in the default language: so is their topic.
    topic = Topic.objects.in_language(settings.LANGUAGE_CODE).order_by("pk").first()
    published, save_seconds, errors = [], [], []
    start = time.monotonic()
    tick = 0
    while time.monotonic() - start < duration:
        began = time.monotonic()
        slug = f"soak-{run_id}-{tick}"
        try:
            with transaction.atomic():
                entry = Entry.objects.create(
                    headline=f"Soak {run_id}: entry {tick}",
                    slug=slug,
                    summary="Written by the soak test's editor.",
                    body="First paragraph.\n\nSecond paragraph.",
                    status=Entry.Status.DRAFT,
                )
                if topic:
                    entry.topics.add(topic)
            # Publishing is a second save, as an editor would do it.
            entry.status = Entry.Status.PUBLISHED
            entry.pub_date = timezone.now()
            entry.save()
            published.append(slug)
        except Exception as error:  # report every failure, keep editing
            errors.append(f"{slug}: {error!r}")
        save_seconds.append(time.monotonic() - began)
        tick += 1
        time.sleep(max(0.0, start + tick - time.monotonic()))
    print(json.dumps({"published": published, "save_seconds": save_seconds, "errors": errors}))


# -- helpers ----------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def ensure_database(url):
    import psycopg

    match = re.match(r"postgres(?:ql)?://(?P<server>[^/]+)/(?P<name>[^?]+)", url)
    if not match:
        sys.exit(f"The soak runs on PostgreSQL; got {url!r}.")
    with psycopg.connect(f"postgresql://{match['server']}/postgres", autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [match["name"]]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{match["name"]}"')
    return match["name"]


def worker_pids(master):
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return sorted(pids)


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def status_of(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_until_up(url, process, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("gunicorn exited while starting; see its log.")
        try:
            if status_of(url) == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"gunicorn did not answer {url} within {seconds} s.")


def run_wrk(url, seconds, connections, threads, paths_file):
    result = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(BASE_DIR / "bench" / "soak.lua"),
            url,
        ],
        env={**os.environ, "SOAK_PATHS_FILE": str(paths_file)},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("SOAK_JSON "))
    summary = json.loads(line.removeprefix("SOAK_JSON "))
    # wrk's own count of answers that are not 2xx or 3xx (summary.errors.status is > 399).
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    summary["non_2xx_3xx"] = int(match.group(1)) if match else 0
    summary["requests_per_second"] = round(summary["requests"] / (summary["duration_us"] / 1e6))
    return summary


def delete_redis_keys(url, prefix):
    """The soak's own keys only (its prefix): other data in that Redis database is left alone."""
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


def deadlock_count(env, name):
    out = manage(
        env,
        "shell",
        "--no-imports",
        "-c",
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        f"    c.execute('SELECT deadlocks FROM pg_stat_database WHERE datname = %s', ['{name}'])\n"
        "    print(c.fetchone()[0])",
    )
    return int(out.strip().splitlines()[-1])


def update_doc(result, result_file):
    c, w = result["checks"], result["wrk"]
    latency = " / ".join(str(w["latency_ms"][k]) for k in ["p50", "p90", "p99", "max"])
    rows = [
        ("measure", "result"),
        ("---", "---"),
        ("requests", f"{w['requests']} ({w['requests_per_second']} per second)"),
        ("latency p50 / p90 / p99 / max", f"{latency} ms"),
        ("errors (socket, timeout, non-2xx/3xx)", c["errors"]),
        ("entries published by the editor", c["published"]),
        ("all of them visible afterwards", "yes" if c["all_visible"] else "NO"),
        ("slowest editor save", f"{c['slowest_save_s']} s"),
        ("deadlocks counted by PostgreSQL", c["deadlocks"]),
        (
            "worker memory (RSS, all workers)",
            f"{c['rss_before_kb']} KB → {c['rss_after_kb']} KB ({c['rss_growth_percent']}%)",
        ),
        ("verdict", "pass" if result["passed"] else "FAIL"),
    ]
    table = "\n".join(f"| {a} | {b} |" for a, b in rows)
    section = f"""{DOC_START}
## Soak: load while an editor publishes

`make soak` (bench/soak.py): gunicorn (gunicorn.conf.py, read from the project folder:
{result["config"]["workers"]} threaded workers, DEBUG off)
on PostgreSQL and the Redis cache, {result["config"]["seconds"]} s of wrk at
{result["config"]["connections"]} connections on loopback against `/` and entry pages, after
a 10 s warm-up, while a separate editor process creates and publishes one entry per second
through the ORM. wrk's timeout is 10 s (a slower answer counts as an error). Last run:
{result["finished"]}, on a shared 2-core machine (load average {result["load_average"]["start"]}
at the start, {result["load_average"]["end"]} at the end; a start above 1 is earlier work's
tail), so throughput and latency are indicative, not a capacity rating; the checks are what
count.

{table}

Raw figures: `{result_file.relative_to(BASE_DIR)}` (git-ignored; this table is the record).
{DOC_END}"""
    DOC.parent.mkdir(exist_ok=True)
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    if DOC_START in text:
        before, rest = text.split(DOC_START, 1)
        text = before + section + rest.split(DOC_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)


# -- the soak ---------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--editor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run-id", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.editor:
        return run_editor(args.seconds, args.run_id)

    database_url = os.environ.get("SOAK_DATABASE_URL", DEFAULT_DATABASE_URL)
    cache_url = os.environ.get("SOAK_CACHE_URL", DEFAULT_CACHE_URL)
    db_name = ensure_database(database_url)
    load_start = Path("/proc/loadavg").read_text().split()[0]
    run_id = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    prefix = f"soak-{run_id}"

    with tempfile.TemporaryDirectory(prefix="newsroom-soak-") as tmp:
        tmp = Path(tmp)
        env = {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url,
            # A key prefix of its own: the Redis database may be shared, so nothing is flushed;
            # the soak's keys are deleted at the end.
            "CACHE_URL": f"{cache_url}{'&' if '?' in cache_url else '?'}key_prefix={prefix}",
            "CONN_MAX_AGE": "60",
            "STATIC_ROOT": str(tmp / "static"),
            "MEDIA_ROOT": str(tmp / "media"),
            "ALLOWED_HOSTS": "127.0.0.1",
        }
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "load_demo", "--if-empty")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        slugs = json.loads(
            manage(
                env,
                "shell",
                "--no-imports",
                "-c",
                "import json; from django.conf import settings\n"
                "from entries.models import Entry\n"
                # The default language's: `/entries/<slug>/` is its address (`/fr/...` French).
                "print(json.dumps(list(Entry.objects.published()"
                ".in_language(settings.LANGUAGE_CODE)"
                ".values_list('slug', flat=True)[:60])))",
            ).strip()
        )
        paths_file = tmp / "paths.txt"
        # A third of the requests on the listing, the rest on entry pages.
        paths_file.write_text(
            "\n".join(["/"] * (len(slugs) // 2) + [f"/entries/{s}/" for s in slugs])
        )

        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log = open(tmp / "gunicorn.log", "w")  # closed in the finally below
        gunicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "newsroom.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                # No worker recycling: a leak must show as growth, not be hidden by restarts.
                "--max-requests",
                "0",
                "--error-logfile",
                "-",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        editor = None
        try:
            wait_until_up(base_url + "/", gunicorn)
            run_wrk(base_url, 10, args.connections, args.threads, paths_file)  # warm-up
            workers = worker_pids(gunicorn.pid)
            rss_before = {pid: rss_kb(pid) for pid in workers}
            deadlocks_before = deadlock_count(env, db_name)

            editor = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--editor",
                    "--seconds",
                    str(args.seconds),
                    "--run-id",
                    run_id,
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=subprocess.PIPE,
                text=True,
            )
            wrk = run_wrk(base_url, args.seconds, args.connections, args.threads, paths_file)
            editor_out, _ = editor.communicate(timeout=args.seconds + 60)
            edits = json.loads(editor_out.strip().splitlines()[-1])

            workers_after = worker_pids(gunicorn.pid)
            rss_after = {pid: rss_kb(pid) for pid in workers if pid in workers_after}
            visible = {
                slug: status_of(f"{base_url}/entries/{slug}/") for slug in edits["published"]
            }
            deadlocks = deadlock_count(env, db_name) - deadlocks_before
        finally:
            if editor and editor.poll() is None:
                editor.kill()
            gunicorn.send_signal(signal.SIGTERM)
            try:
                gunicorn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                gunicorn.kill()
            log.close()
            manage(
                env,
                "shell",
                "--no-imports",
                "-c",
                "from entries.models import Entry\n"
                f"Entry.objects.filter(slug__startswith='soak-{run_id}-').delete()",
            )
            delete_redis_keys(cache_url, prefix)
        gunicorn_log = (tmp / "gunicorn.log").read_text()

    errors = sum(wrk["errors"].values()) + wrk["non_2xx_3xx"]
    before_total, after_total = sum(rss_before.values()), sum(rss_after.values())
    growth = (after_total - before_total) / before_total if before_total else 0.0
    checks = {
        "errors": errors,
        "published": len(edits["published"]),
        "editor_errors": edits["errors"],
        "all_visible": all(code == 200 for code in visible.values()),
        "not_visible": [slug for slug, code in visible.items() if code != 200],
        "slowest_save_s": round(max(edits["save_seconds"], default=0), 3),
        "deadlocks": deadlocks,
        "workers_restarted": sorted(set(workers) - set(workers_after)),
        "worker_timeouts_in_log": gunicorn_log.count("WORKER TIMEOUT"),
        "rss_before_kb": before_total,
        "rss_after_kb": after_total,
        "rss_growth_percent": round(growth * 100, 2),
    }
    passed = (
        errors == 0
        and not edits["errors"]
        and checks["published"] >= args.seconds - 2
        and checks["all_visible"]
        and checks["slowest_save_s"] < MAX_SAVE_SECONDS
        and deadlocks == 0
        and not checks["workers_restarted"]
        and checks["worker_timeouts_in_log"] == 0
        and growth < MAX_RSS_GROWTH
    )
    result = {
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": {"start": load_start, "end": Path("/proc/loadavg").read_text().split()[0]},
        "config": {
            "seconds": args.seconds,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "workers": args.workers,
            "database": db_name,
            "cache": f"{cache_url} (key prefix {prefix})",
            "paths": len(slugs) + len(slugs) // 2,
        },
        "wrk": wrk,
        "rss_kb": {"before": rss_before, "after": rss_after},
        "checks": checks,
        "passed": passed,
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    result_file = RESULTS_DIR / f"soak-{run_id}.json"
    result_file.write_text(json.dumps(result, indent=2) + "\n")
    update_doc(result, result_file)
    print(json.dumps(checks, indent=2))
    print(f"{'PASS' if passed else 'FAIL'}: results in {result_file} and {DOC}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

"""SQL queries and server-side time of each page, measured in this process (no network).

    python bench/inprocess.py [--json out.json] [--repeat 30] [--admin] [--dump-listing file]

Uses the database and settings of the environment (DATABASE_URL etc.). The page cache is off,
so each request renders from the database; the data caches (content version, count) are warm,
as they are on a running site between content changes.
"""

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ["PAGE_CACHE"] = "false"
# Pages link hashed static files: collect them once into a scratch folder unless given one.
os.environ.setdefault("STATIC_ROOT", "/tmp/newsroom-bench-static")

import django

# Static files are not collected for an in-process run; the pages only link to them.
warnings.filterwarnings("ignore", message="No directory at")

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from bench.pages import PAGES, last_page  # noqa: E402


def measure(client, url, repeat):
    response = client.get(url)  # warm: templates compiled, data caches filled
    if response.status_code != 200:
        return {"url": url, "skipped": f"status {response.status_code}"}
    queries = []

    def count(execute, sql, *args):
        queries.append(sql)
        return execute(sql, *args)

    with connection.execute_wrapper(count):
        client.get(url)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "url": url,
        "queries": len(queries),
        "median_ms": round(statistics.median(times), 2),
        # The least disturbed run: the steadiest figure on a shared, busy machine.
        "min_ms": round(min(times), 2),
        "max_ms": round(max(times), 2),
        "bytes": len(response.content),
    }


def admin_client():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def collect_static():
    from django.conf import settings
    from django.core.management import call_command

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--admin", action="store_true", help="also the admin changelist")
    parser.add_argument("--dump-listing", type=Path, help="write the bytes of / to this file")
    args = parser.parse_args()
    collect_static()

    client = Client(HTTP_HOST="127.0.0.1")
    pages = dict(PAGES, last_page=last_page)
    results = {}
    for name, find in pages.items():
        url = find()
        results[name] = (
            measure(client, url, args.repeat) if url else {"url": None, "skipped": "no data"}
        )
    if args.admin:
        results["admin_changelist"] = measure(
            admin_client(), "/admin/entries/entry/", max(5, args.repeat // 3)
        )
    if args.dump_listing:
        args.dump_listing.write_bytes(client.get("/").content)
    for name, row in results.items():
        if "skipped" in row:
            print(f"{name:18} {row['url'] or '-':40} skipped ({row['skipped']})")
        else:
            print(
                f"{name:18} {row['url']:40} {row['queries']:3} queries "
                f"{row['min_ms']:8.2f} ms min {row['median_ms']:8.2f} ms median"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

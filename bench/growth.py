"""`make bench-growth`: how each page's server-side time grows with the archive.

Builds a scratch PostgreSQL database (BENCH_POSTGRES_URL, database BENCH_GROWTH_DATABASE,
default newsroom_production_growth; dropped afterwards)
with the demo content, measures every page in-process with the page cache off
(bench/inprocess.py, including the admin changelist), then grows it with `generate_entries` to
each next size and measures again. Writes bench/results/growth.json and the table in
docs/performance.md. Sizes: --sizes 181,10000,100000 (default).
"""

import argparse
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import DOC, POSTGRES_URL, RESULTS  # noqa: E402

DATABASE = os.environ.get("BENCH_GROWTH_DATABASE", "newsroom_production_growth")


def scratch(create):
    import psycopg

    with psycopg.connect(POSTGRES_URL.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def main():
    parser = argparse.ArgumentParser(description="Page times at growing archive sizes.")
    parser.add_argument("--sizes", default="181,10000,100000")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    work = Path(tempfile.mkdtemp(prefix="newsroom-growth-"))
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "DATABASE_URL": POSTGRES_URL.rstrip("/") + f"/{DATABASE}",
    }
    env.pop("CACHE_URL", None)

    def manage(*command):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    rows = {}
    try:
        scratch(create=True)
        manage("migrate", "--noinput")
        manage("load_demo")
        manage("collectstatic", "--noinput")
        current = 181
        for size in sizes:
            if size > current:
                started = time.monotonic()
                manage("generate_entries", str(size - current))
                print(f"generated {size - current} entries in {time.monotonic() - started:.0f} s")
                current = size
            out = work / f"{size}.json"
            subprocess.run(
                [sys.executable, "bench/inprocess.py", "--admin", "--json", str(out)],
                cwd=ROOT,
                env=env,
                check=True,
                stderr=subprocess.DEVNULL,
            )
            rows[size] = json.loads(out.read_text())
    finally:
        scratch(create=False)
        shutil.rmtree(work, ignore_errors=True)

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "growth.json").write_text(json.dumps(rows, indent=2))
    pages = [p for p in rows[sizes[0]] if any("skipped" not in rows[s][p] for s in sizes)]
    lines = [
        "| page | " + " | ".join(f"{s:,} entries" for s in sizes) + " |",
        "| --- |" + " ---: |" * len(sizes),
    ]
    for page in pages:
        cells = []
        for size in sizes:
            row = rows[size][page]
            cells.append(
                "skipped"
                if "skipped" in row
                else f"{row['min_ms']:.1f} / {row['median_ms']:.1f} ms, {row['queries']} q"
            )
        lines.append(f"| {page} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    if not args.no_doc:
        text = DOC.read_text()
        start, end = "<!-- growth:start -->", "<!-- growth:end -->"
        block = f"{start}\n{table}\n{end}"
        if start in text:
            text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
        else:
            text += "\n" + block + "\n"
        DOC.write_text(text)


if __name__ == "__main__":
    main()

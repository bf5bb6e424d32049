"""CPU instructions per uncached request of each benchmarked page, counted by valgrind.

    python bench/instructions.py [--requests 3] [--pages listing,entry,...]

Each figure is the instructions of one process that starts Django, renders every page twice
(templates compiled, data caches warm) and then requests one page `--requests` times, less
those of the same process without the extra requests, divided by `--requests`. Instruction
counts barely move with the load of a shared machine, unlike timings, so two versions of the
code can be compared there. Needs valgrind (Debian's `valgrind`); about a minute per page.
Uses the database and settings of the environment; the page cache is off.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(page, requests):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ["PAGE_CACHE"] = "false"
    os.environ.setdefault("STATIC_ROOT", "/tmp/newsroom-bench-static")
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.test import Client

    from bench.inprocess import collect_static
    from bench.pages import PAGES

    collect_static()
    client = Client(HTTP_HOST="127.0.0.1")
    urls = {name: find() for name, find in PAGES.items()}
    for url in urls.values():
        client.get(url)
        client.get(url)
    for _ in range(requests):
        assert client.get(urls[page]).status_code == 200


def instructions(page, requests):
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--child",
                page,
                "--requests",
                str(requests),
            ],
            check=True,
            capture_output=True,
        )
        return int(re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3)
    parser.add_argument("--pages", default="listing,listing_page_19,entry,topic,search")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.requests)
        return
    pages = args.pages.split(",")
    base = instructions(pages[0], 0)
    for page in pages:
        per_request = (instructions(page, args.requests) - base) / args.requests
        print(f"{page:18} {per_request / 1e6:8.2f} M instructions per request", flush=True)


if __name__ == "__main__":
    main()

"""CPU instructions per uncached request of each page, one valgrind run per page.

    python bench/instructions_page.py [--requests 5] [--pages listing,entry,...] [--root DIR]

A quicker, steadier variant of bench/instructions.py: the process warms only the page it
measures (three requests), runs a full garbage collection and freezes what is left (the
start-up's objects: a full collection of them is no part of a request), then requests the page
`--requests` times inside `operator.call()`; callgrind counts only what runs inside that call
(`--toggle-collect=_operator_call`), so nothing needs subtracting. `--root` measures another
checkout of the project (e.g. `git archive <commit> | tar -x -C DIR`) with this environment.
Uses the database and settings of the environment; the page cache is off. Needs valgrind.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(root, page, requests):
    sys.path.insert(0, root)
    os.chdir(root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    os.environ["PAGE_CACHE"] = "false"
    os.environ.setdefault("STATIC_ROOT", "/tmp/newsroom-bench-static")
    import gc
    import operator
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.test import Client

    from bench.pages import PAGES

    client = Client(HTTP_HOST="127.0.0.1")
    url = PAGES[page]()
    for _ in range(3):
        assert client.get(url).status_code == 200

    def measured():
        for _ in range(requests):
            client.get(url)

    gc.collect()
    gc.freeze()
    operator.call(measured)


def instructions(root, page, requests):
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--collect-atstart=no",
                "--toggle-collect=_operator_call",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--child",
                page,
                "--requests",
                str(requests),
                "--root",
                root,
            ],
            check=True,
            capture_output=True,
        )
        return int(re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5)
    parser.add_argument("--pages", default="listing,listing_page_19,entry,topic,search")
    parser.add_argument("--root", default=str(ROOT))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.root, args.child, args.requests)
        return
    for page in args.pages.split(","):
        per_request = instructions(args.root, page, args.requests) / args.requests
        print(f"{page:18} {per_request / 1e6:8.2f} M instructions per request", flush=True)


if __name__ == "__main__":
    main()

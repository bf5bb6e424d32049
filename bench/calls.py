"""Python function calls per uncached request of each benchmarked page, counted by cProfile.

    python bench/calls.py [--top N]

Unlike timings, the counts do not move with the load on a shared machine: the same code and
data give the same figures, so a change's effect on the work a page does can be read at once.
Uses the database and settings of the environment; the page cache is off, the data caches
(content version, counts) are warm, as on a running site between content changes.
"""

import argparse
import cProfile
import os
import pstats
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ["PAGE_CACHE"] = "false"
os.environ.setdefault("STATIC_ROOT", "/tmp/newsroom-bench-static")

import django

warnings.filterwarnings("ignore", message="No directory at")
django.setup()

from django.test import Client  # noqa: E402

from bench.inprocess import collect_static  # noqa: E402
from bench.pages import PAGES  # noqa: E402


def count_calls(client, url, top):
    client.get(url)  # warm: templates compiled, data caches filled
    client.get(url)
    profile = cProfile.Profile()
    profile.enable()
    response = client.get(url)
    profile.disable()
    stats = pstats.Stats(profile)
    if top:
        stats.sort_stats("cumulative").print_stats(top)
    return response.status_code, stats.total_calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=0, help="also print the N costliest calls")
    args = parser.parse_args()
    collect_static()
    client = Client(HTTP_HOST="127.0.0.1")
    for name, find in PAGES.items():
        url = find()
        status, calls = count_calls(client, url, args.top)
        print(f"{name:18} {url:45} {status} {calls:8,} calls")


if __name__ == "__main__":
    main()

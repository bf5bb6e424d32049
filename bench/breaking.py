#!/usr/bin/env python
"""`make breaking`: issue 14's breaking-news yardstick, quiet and while an editor publishes.

    .venv/bin/python bench/breaking.py              # or: make breaking
    .venv/bin/python bench/breaking.py --seconds 5  # a quick check that it runs

On a scratch PostgreSQL database (demo content, renditions, VACUUM ANALYZE) and Redis (a
per-run key prefix; only those keys are deleted at the end), gunicorn (gunicorn.conf.py, 4
workers, access log off) is loaded by wrk at 64 connections over a weighted mix of public
pages: the first eight listing pages, the entries they link to, a topic page and the feeds,
and in each other language (`/fr/`, found from `/`'s hreflang links) the first listing page
and the entries it links to, with `/` taking --root-share of the requests (20%). Phases, each
--seconds long (30):

1. app, quiet: nobody edits;
2. app, publishing: a separate editor process (started and set up before the phase, as an
   editor's server is up before the news breaks) publishes one entry a second through the ORM,
   while a reader polls `/` anonymously and records, for each new entry, the delay from its
   commit to the first response showing its headline (the reader polls in the quiet phases
   too, so they differ from publishing by the editor alone); then quiet again: publishing is
   compared with the mean of the quiet phases before and after it (and, reported beside it,
   with the one before alone);
3. the ceiling (../shared/bench/ceiling_app.py, page 1's bytes and headers, same gunicorn
   settings), measured with the same mix before phase 1 and after phase 5 (the mean is used);
4. and 5. the same two phases through varnishd (deploy/varnish/default.vcl in front of the
   same gunicorn; the editor's purge hook, CACHE_PURGE_URL, pointed at it).

Results go to bench/results/breaking-<time>.json and docs/performance.md (between the
breaking markers; not with --no-doc or any option changed from its default). Exit status 1
when a target is missed. Environment: BENCH_POSTGRES_URL (server URL; the database is a
scratch one), BENCH_REDIS_URL, BENCH_CEILING_APP (see bench/run.py).
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import breaking_parts as parts  # noqa: E402
from bench.breaking_report import markdown, verdicts, write_doc  # noqa: E402
from bench.run import (  # noqa: E402
    CEILING_APP,
    POSTGRES_URL,
    REDIS_URL,
    Server,
    ceiling_server,
    fetch,
    manage,
    vacuum,
)

RESULTS = ROOT / "bench" / "results"
DATABASE = "newsroom_breaking_bench"
LISTING_PAGES = 8
OTHER_WEIGHT = 8  # slots per page other than `/` in the Lua script's table


def postgres(statement):
    import psycopg

    with psycopg.connect(POSTGRES_URL.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(statement)


def delete_redis_keys(prefix):
    """This run's keys only: the Redis database may be shared, so nothing is flushed."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        client.delete(key)


def build_mix(server, root_share):
    """The pages, found by following the site's own links: listing pages 1-8, the entries they
    link to, the first topic page linked from an entry, the feeds the pages announce; and each
    other language's listing (`/`'s hreflang alternates) with the entries it links to."""

    listing = ["/"] + [f"/?page={n}" for n in range(2, LISTING_PAGES + 1)]
    entries, feeds, topic = [], [], None
    for path in listing:
        html = fetch(server.url(path))[2].decode()
        for link in re.findall(r'href="(/entries/[^"/?#]+/)"', html):
            if link not in entries:
                entries.append(link)
    entry_html = fetch(server.url(entries[0]))[2].decode()
    topic = re.search(r'href="(/topics/[^"/?#]+/)"', entry_html).group(1)
    for path in ("/", topic):
        html = fetch(server.url(path))[2].decode()
        for tag in re.findall(r"<link\b[^>]*>", html):
            if re.search(r'type="application/(rss|atom)\+xml"', tag):
                href = re.search(r'href="([^"]+)"', tag).group(1)
                href = re.sub(r"^https?://[^/]+", "", href)
                if href not in feeds:
                    feeds.append(href)
    languages = {}
    home = fetch(server.url("/"))[2].decode()
    for tag in re.findall(r"<link\b[^>]*\bhreflang=[^>]*>", home):
        code = re.search(r'hreflang="([^"]+)"', tag).group(1)
        href = re.sub(r"^https?://[^/]+", "", re.search(r'href="([^"]+)"', tag).group(1))
        if href == "/" or code == "x-default":
            continue
        html = fetch(server.url(href))[2].decode()
        linked = re.findall(rf'href="({re.escape(href)}entries/[^"/?#]+/)"', html)
        languages[code] = [href, *dict.fromkeys(linked)]
    translated = [path for paths in languages.values() for path in paths]
    others = listing[1:] + entries + [topic] + feeds + translated
    root_weight = round(root_share / (1 - root_share) * OTHER_WEIGHT * len(others))
    weights = {"/": root_weight, **dict.fromkeys(others, OTHER_WEIGHT)}
    for path in weights:
        status = fetch(server.url(path))[0]
        if status != 200:
            raise RuntimeError(f"{path} answered {status}: the mix must be all 200s")
    return {
        "pages": len(weights),
        "listing_pages": len(listing),
        "entries": len(entries),
        "topic": topic,
        "feeds": feeds,
        # Per other language: its listing and the entries it links to.
        "languages": {
            code: {"listing": paths[0], "entries": len(paths) - 1}
            for code, paths in languages.items()
        },
        "root_share": round(root_weight / sum(weights.values()), 4),
        "weights": weights,
    }


def warm(base_url, paths):
    for path in paths:
        for _ in range(2):
            fetch(base_url + path, timeout=30)


def phases(label, base_url, env, args, tag, paths_file, mix):
    """Quiet, then publishing, against `base_url` (the app itself or Varnish in front)."""
    print(f"== {label}: warming", flush=True)
    warm(base_url, mix["weights"])
    parts.wrk_mix(base_url + "/", min(5, args.seconds), args.connections, args.threads, paths_file)
    print(f"== {label}: quiet, {args.seconds} s", flush=True)
    # The reader polls `/` in every phase, not only while publishing: its own requests and CPU
    # (this machine's two cores serve the load too) weigh on each phase alike, so publishing is
    # compared with quiet phases that differ from it by the editor alone.
    with parts.Reader(base_url + "/", tag):
        quiet = parts.wrk_mix(
            base_url + "/", args.seconds, args.connections, args.threads, paths_file
        )
    print(f"   {quiet['rps']} rps, p99 {quiet['p99_ms']} ms, {quiet['errors']} errors")
    print(f"== {label}: publishing, {args.seconds} s", flush=True)
    editor = parts.start_editor(env, args.seconds, tag)
    try:
        with parts.Reader(base_url + "/", tag) as reader:
            parts.go(editor)
            publishing = parts.wrk_mix(
                base_url + "/", args.seconds, args.connections, args.threads, paths_file
            )
            edits = parts.finish_editor(editor, args.seconds)
            # The last entry was committed about when the load stopped: give the reader time.
            reader.wait_for([p["tick"] for p in edits["published"]], 5)
    finally:
        if editor.poll() is None:
            editor.kill()
    fresh = parts.freshness(edits, reader)
    print(
        f"   {publishing['rps']} rps, p99 {publishing['p99_ms']} ms, {publishing['errors']} "
        f"errors; {fresh['seen']}/{fresh['published']} entries seen, max {fresh['max_s']} s"
    )
    print(f"   delays (s): {' '.join(str(d) for d in fresh['delays_s'].values())}")
    # Quiet again: publishing is compared with nobody editing before *and* after it, so a slow
    # spell of this shared machine during one quiet phase does not decide the ratio alone.
    print(f"== {label}: quiet again, {args.seconds} s", flush=True)
    with parts.Reader(base_url + "/", tag):
        quiet_after = parts.wrk_mix(
            base_url + "/", args.seconds, args.connections, args.threads, paths_file
        )
    print(f"   {quiet_after['rps']} rps, p99 {quiet_after['p99_ms']} ms")
    quiet_mean = (quiet["rps"] + quiet_after["rps"]) / 2
    return {
        "quiet": quiet,
        "publishing": publishing,
        "quiet_after": quiet_after,
        "publishing_over_quiet": round(publishing["rps"] / quiet_mean, 3),
        "publishing_over_quiet_before": round(publishing["rps"] / quiet["rps"], 3),
        "freshness": fresh,
        "editor_errors": edits["errors"],
        "slowest_save_s": round(max(edits["save_seconds"], default=0), 3),
    }


def ceiling(env, site, work, log, args, paths_file):
    with ceiling_server(env, site, work, log) as app:
        return parts.wrk_mix(app.url("/"), args.seconds, args.connections, args.threads, paths_file)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of each phase")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--root-share", type=float, default=0.20, help="share of requests on /")
    parser.add_argument("--no-doc", action="store_true", help="leave docs/performance.md alone")
    parser.add_argument("--editor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tag", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.editor:
        return parts.run_editor(args.seconds, args.tag)
    for tool, package in (("wrk", "wrk"), ("varnishd", "varnish varnish-modules")):
        if not (shutil.which(tool) or (tool == "varnishd" and parts.varnishd_binary())):
            sys.exit(f"{tool} is missing: apt-get install {package}")
    if not CEILING_APP.is_file():
        sys.exit(f"the ceiling app is missing: {CEILING_APP} (set BENCH_CEILING_APP)")

    run_id = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    prefix = f"breaking-{secrets.token_hex(4)}"
    load_start = Path("/proc/loadavg").read_text().split()[0]
    work = Path(tempfile.mkdtemp(prefix="newsroom-breaking-"))
    log = open(work / "servers.log", "w")  # closed in the finally below
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "SERVE_MEDIA": "false",
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "60"),
        "DATABASE_URL": POSTGRES_URL.rstrip("/") + f"/{DATABASE}",
        "PAGE_CACHE": "true",
        "CACHE_URL": f"{REDIS_URL}?key_prefix={prefix}",
        "GUNICORN_WORKERS": str(args.workers),
    }
    env.pop("CACHE_PURGE_URL", None)  # the app's own phases purge nothing
    result = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} ({os.cpu_count()} CPUs, {platform.python_version()})",
        "config": {
            "seconds": args.seconds,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "workers": args.workers,
            "database": DATABASE,
            "cache": env["CACHE_URL"],
        },
    }
    postgres(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    postgres(f'CREATE DATABASE "{DATABASE}"')
    try:
        print("== preparing the database: demo content, renditions, VACUUM ANALYZE", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "load_demo")
        manage(env, "make_renditions")
        manage(env, "collectstatic", "--noinput")
        vacuum(env["DATABASE_URL"])
        with Server(env, log) as app:
            mix = build_mix(app, args.root_share)
            result["mix"] = mix
            paths_file = work / "paths.txt"
            paths_file.write_text("".join(f"{w} {p}\n" for p, w in mix["weights"].items()))
            print(
                f"== mix: {mix['pages']} pages ({mix['entries']} entries, feeds "
                f"{mix['feeds']}), / at {mix['root_share']:.0%}",
                flush=True,
            )
            print("== ceiling (before)", flush=True)
            ceiling_before = ceiling(env, app, work, log, args, paths_file)
            result["app"] = phases("app", app.url(""), env, args, f"{run_id}-app", paths_file, mix)
            with parts.Varnish(app.port, work, log) as varnish:
                editor_env = {**env, "CACHE_PURGE_URL": varnish.url("/")}
                result["varnish"] = phases(
                    "Varnish", varnish.url(""), editor_env, args, f"{run_id}-varnish",
                    paths_file, mix,
                )  # fmt: skip
            print("== ceiling (after)", flush=True)
            ceiling_after = ceiling(env, app, work, log, args, paths_file)
    finally:
        log.close()
        servers_log = (work / "servers.log").read_text()
        shutil.rmtree(work, ignore_errors=True)
        postgres(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        delete_redis_keys(prefix)
    result["ceiling"] = {
        "rps": round((ceiling_before["rps"] + ceiling_after["rps"]) / 2, 1),
        "before": ceiling_before,
        "after": ceiling_after,
        "p50_ms": max(ceiling_before["p50_ms"], ceiling_after["p50_ms"]),
        "p99_ms": max(ceiling_before["p99_ms"], ceiling_after["p99_ms"]),
        "errors": ceiling_before["errors"] + ceiling_after["errors"],
    }
    result["server_log_tracebacks"] = servers_log.count("Traceback")
    result["worker_timeouts"] = servers_log.count("WORKER TIMEOUT")
    result["finished"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    result["load_average"] = {
        "start": load_start,
        "end": Path("/proc/loadavg").read_text().split()[0],
    }
    passed, result["verdicts"] = verdicts(result)
    if result["server_log_tracebacks"] or result["worker_timeouts"]:
        passed = False
        result["verdicts"].append(
            f"server log: {result['server_log_tracebacks']} tracebacks, "
            f"{result['worker_timeouts']} worker timeouts (target 0): NOT met"
        )
    result["passed"] = passed
    RESULTS.mkdir(exist_ok=True)
    result["file"] = f"breaking-{run_id}.json"
    (RESULTS / result["file"]).write_text(json.dumps(result, indent=2) + "\n")
    print("\n" + "\n".join(result["verdicts"]))
    print(f"\n{'PASS' if passed else 'FAIL'}: results in bench/results/{result['file']}")
    full = (args.seconds, args.connections, args.workers, args.root_share) == (30, 64, 4, 0.2)
    if not args.no_doc and full:
        write_doc(markdown(result))
        print("docs/performance.md updated")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

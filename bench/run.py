"""`make bench`: load the site with wrk on loopback and compare each page with its ceiling.

For SQLite and PostgreSQL, with the demo content, it starts gunicorn (gunicorn.conf.py,
production settings) four times: no cache at all, page cache off with the data caches kept, page
cache in local memory, page cache in Redis. Each time it loads every page and, as the ceiling,
../shared/bench/ceiling_app.py: a trivial WSGI app answering page 1's bytes and headers (as this
server sent them), under the same gunicorn settings (BENCH_CEILING_APP names another copy). It
prints rps, p50, p99 and errors per URL and each page's rps as a fraction of that ceiling (same
run: each page is loaded in a few short rounds with the ceiling loaded between every two runs,
and read three ways, see load_in_rounds), writes everything to bench/results/latest.json and
the tables to docs/performance.md. It also records each page's SQL queries and server-side time,
measured in-process (bench/inprocess.py). The pages (bench/pages.py) include the French listing
and an entry page (`/fr/...`); each is checked against its English counterpart in the same run,
cached and uncached (issue 13: within 10%).

Everything it starts (servers, scratch database and files) it stops and removes. Options:
--duration seconds per URL (default 6), --rounds it is split into (3), --connections (16),
--databases sqlite,postgres, --caches off,render,locmem,redis (a partial run leaves
docs/performance.md alone).
Environment: BENCH_POSTGRES_URL (server URL, database name replaced by a scratch one),
BENCH_REDIS_URL (default redis://127.0.0.1:6379/3; keys use a per-run prefix, nothing flushed).
"""

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
CEILING_APP = Path(
    os.environ.get("BENCH_CEILING_APP", ROOT.parent / "shared" / "bench" / "ceiling_app.py")
)
CEILING_LABEL = "ceiling_app.py"
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/")
POSTGRES_DB = "newsroom_production_bench"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")

# Cached pages with the access log off against ceiling_app.py (issues 10 and 14); Redis adds a
# network round trip per request, so its target is lower.
TARGETS = {"locmem": 0.95, "redis": 0.40}
UNCACHED_TARGET = 0.06
P99_TARGET_MS = 50
# The cache configurations a full run loads (bench_database); a partial run leaves the doc alone.
CACHE_CONFIGS = ("off", "render", "locmem", "redis")
# Issue 13: each page in French (`/fr/...`) within 10% of the same page in English, cached and
# uncached, in the same run: (French page, English page) in bench/pages.py.
LANGUAGE_PAIRS = {"fr_listing": "listing", "fr_entry": "entry"}
LANGUAGE_TOLERANCE = 0.10


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args, env, **kwargs):
    return subprocess.run(args, cwd=ROOT, env=env, check=True, **kwargs)


def manage(env, *args):
    run([PYTHON, "manage.py", *args], env, stdout=subprocess.DEVNULL)


def postgres_scratch(create):
    """Drop (and create) the scratch benchmark database through psycopg."""
    import psycopg

    with psycopg.connect(POSTGRES_URL.rstrip("/") + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{POSTGRES_DB}"')


def fetch(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


class Server:
    """gunicorn with the project's configuration on a free loopback port."""

    def __init__(self, env, log, app=()):
        self.app = list(app)  # gunicorn's app arguments, when not the site itself
        self.port = free_port()
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_LOG_LEVEL": "warning",
        }
        self.log = log
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [GUNICORN, "-c", str(ROOT / "gunicorn.conf.py"), *self.app],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}")
            try:
                if fetch(self.url("/healthz" if not self.app else "/"), timeout=1)[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 30 s")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def parse_ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def cpu_ticks():
    """(steal, total) CPU ticks of the machine so far, from /proc/stat (Linux)."""
    try:
        fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except OSError:
        return 0, 0
    return fields[7], sum(fields)


def wrk(url, duration, connections):
    before = cpu_ticks()
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors += int(non2xx.group(1)) if non2xx else 0
    after = cpu_ticks()
    ticks = after[1] - before[1]
    return {
        "rps": round(rps, 1),
        "p50_ms": round(parse_ms(latency["50"]), 2),
        "p99_ms": round(parse_ms(latency["99"]), 2),
        "requests": requests,
        "errors": errors,
        # The share of CPU time the machine's host took for others during the run: what a
        # slow spell of this shared machine looks like from inside, when it shows at all.
        "steal": round((after[0] - before[0]) / ticks, 3) if ticks else 0.0,
    }


def bench_database(name, env, work, args, log):
    print(f"\n== {name}: preparing the database and demo content", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "load_demo")
    # As `make run` does: pages show <picture> with the responsive renditions, as in production.
    manage(env, "make_renditions")
    if name == "postgres":
        vacuum(env["DATABASE_URL"])
    inprocess_json = work / f"inprocess-{name}.json"
    run(
        [PYTHON, "bench/inprocess.py", "--json", str(inprocess_json)],
        env,
        stderr=subprocess.DEVNULL,
    )
    inprocess = json.loads(inprocess_json.read_text())
    pages = {k: v["url"] for k, v in inprocess.items() if "skipped" not in v}
    skipped = {k: v for k, v in inprocess.items() if "skipped" in v}
    configs = {
        # No cache at all: no page cache, and the content version and count are not kept.
        "off": {"PAGE_CACHE": "false", "CACHE_URL": "dummycache://"},
        # The page cache off, the data caches kept (local memory): what a page costs when the
        # page cache misses on a running site (the content version and counts are kept there
        # between changes; under "off" every request makes a new version and counts again).
        "render": {"PAGE_CACHE": "false", "CACHE_URL": "locmemcache://newsroom"},
        "locmem": {"PAGE_CACHE": "true", "CACHE_URL": "locmemcache://newsroom"},
        "redis": {
            "PAGE_CACHE": "true",
            # A fresh key prefix per run: nothing left from an earlier run can be served.
            "CACHE_URL": f"{REDIS_URL}?key_prefix=bench-{secrets.token_hex(4)}",
        },
    }
    runs = {}
    prefix = configs["redis"]["CACHE_URL"].rpartition("key_prefix=")[2]
    for config in args.caches.split(","):
        extra = configs[config]
        with Server({**env, **extra}, log) as server:
            for path in pages.values():
                status = fetch(server.url(path))[0]
                if status != 200:
                    raise RuntimeError(f"{path} answered {status} ({config})")
                # Warm every worker thread, not just a few: each compiles its templates and
                # prepared queries (per language, newsroom.prepared) and opens its database
                # connection on first use, which must not fall inside the measured window.
                wrk(server.url(path), 1, args.connections)
            with ceiling_server({**env, **extra}, server, work, log) as ceiling_app:
                rows, brackets = load_in_rounds(pages, server, ceiling_app.url("/"), args)
            # The ceiling row: every run of it.
            rows["ceiling"] = {"url": CEILING_LABEL, **pooled(brackets)}
            ceiling = rows["ceiling"]["rps"]
            for row in rows.values():
                bracket = row.get("ceiling_rps", ceiling)
                row["of_ceiling"] = round(row["rps"] / bracket, 3) if bracket else None
                # The same page against the mean of every ceiling run of this configuration.
                row["of_mean_ceiling"] = round(row["rps"] / ceiling, 3) if ceiling else None
                row.setdefault("of_ceiling_median", row["of_ceiling"])
            runs[config] = rows
        print_runs(name, config, rows)
    delete_redis_keys(prefix)
    return {"inprocess": inprocess, "skipped": skipped, "runs": runs}


def pooled(runs):
    """Several wrk runs of one URL as one row: rps averaged, the worst latencies and steal kept
    (a slow run is not averaged away), requests and errors added up."""
    return {
        "rps": round(sum(r["rps"] for r in runs) / len(runs), 1),
        "rps_runs": [r["rps"] for r in runs],
        "p50_ms": max(r["p50_ms"] for r in runs),
        "p99_ms": max(r["p99_ms"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
        "steal": max(r["steal"] for r in runs),
    }


def load_in_rounds(pages, server, ceiling_url, args):
    """Each page in `args.rounds` short runs, the ceiling loaded before and after every one.

    The ceiling is measured between every two page runs, so each run of a page has a ceiling run
    just before and just after it. Three readings of the same yardstick (a page's rps over the
    ceiling's, in this run) come out: the page's pooled rps over the mean of the ceiling runs
    beside its rounds (`of_ceiling`), over the mean of every ceiling run (`of_mean_ceiling`,
    set by the caller), and the median of its rounds' ratios (`of_ceiling_median`), each round
    against the two ceiling runs beside it. On this shared machine a slow spell of a few seconds
    halves whatever runs in it, page or ceiling: the median of paired rounds is the reading such
    a spell moves least.
    """
    round_seconds = max(1, round(args.duration / args.rounds))
    brackets = [wrk(ceiling_url, round_seconds, args.connections)]
    rows = {}
    for page, path in pages.items():
        runs, ratios = [], []
        for _ in range(args.rounds):
            runs.append(wrk(server.url(path), round_seconds, args.connections))
            brackets.append(wrk(ceiling_url, round_seconds, args.connections))
            beside = (brackets[-2]["rps"] + brackets[-1]["rps"]) / 2
            ratios.append(runs[-1]["rps"] / beside if beside else 0)
        beside_runs = brackets[-args.rounds - 1 :]
        ceiling_rps = sum(b["rps"] for b in beside_runs) / len(beside_runs)
        rows[page] = {
            "url": path,
            **pooled(runs),
            "ceiling_rps": round(ceiling_rps, 1),
            "of_ceiling_rounds": [round(ratio, 3) for ratio in ratios],
            "of_ceiling_median": round(statistics.median(ratios), 3),
        }
    return rows, brackets


def ceiling_server(env, site, work, log):
    """ceiling_app.py under the same gunicorn settings, replaying page 1 as `site` sends it."""
    if not CEILING_APP.is_file():
        sys.exit(f"the ceiling app is missing: {CEILING_APP} (set BENCH_CEILING_APP)")
    status, headers, body = fetch(site.url("/"))
    if status != 200:
        raise RuntimeError(f"/ answered {status}")
    (work / "page1.html").write_bytes(body)
    (work / "page1.headers").write_text(
        "HTTP/1.1 200 OK\n" + "".join(f"{k}: {v}\n" for k, v in headers.items()),
        encoding="latin-1",
    )
    ceiling_env = {
        **env,
        "CEILING_BODY": str(work / "page1.html"),
        "CEILING_HEADERS": str(work / "page1.headers"),
    }
    return Server(
        ceiling_env, log, app=["--chdir", str(CEILING_APP.parent), "ceiling_app:application"]
    )


def vacuum(database_url):
    """What autovacuum does to a live database: a freshly loaded demo (181 rows) is under its
    thresholds, so without this every index-only scan would still read each row's page."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def delete_redis_keys(prefix):
    """This run's keys only: the Redis database may be shared, so nothing is flushed."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def print_runs(database, config, rows):
    print(f"-- {database}, page cache {config}")
    for page, row in rows.items():
        print(
            f"   {page:16} {row['url']:38} {row['rps']:9.1f} rps  p50 {row['p50_ms']:7.2f} ms"
            f"  p99 {row['p99_ms']:7.2f} ms  errors {row['errors']}  {row['of_ceiling']:.1%}"
            f" (of mean ceiling {row['of_mean_ceiling']:.1%}, median of rounds "
            f"{row['of_ceiling_median']:.1%}, steal {row['steal']:.0%})"
        )


def verdicts(results):
    """The issue's targets, checked against this run."""
    lines = []
    for database, data in results["databases"].items():
        runs = data["runs"]
        for config, target in TARGETS.items():
            if config not in runs:
                continue
            worst = min(
                (row["of_ceiling"], page) for page, row in runs[config].items() if page != "ceiling"
            )
            mean_worst = min(
                row["of_mean_ceiling"] for page, row in runs[config].items() if page != "ceiling"
            )
            median_worst = min(
                (row["of_ceiling_median"], page)
                for page, row in runs[config].items()
                if page != "ceiling"
            )
            # Met only against both readings: a slow ceiling run beside a page flatters it.
            ok = min(worst[0], mean_worst) >= target
            lines.append(
                f"{database}, cached ({config}): lowest page {worst[1]} at {worst[0]:.1%} "
                f"of the ceiling beside it ({mean_worst:.1%} lowest against the run's mean "
                f"ceiling) (target {target:.0%}) {verdict(ok)}; median of paired rounds: "
                f"lowest {median_worst[1]} at {median_worst[0]:.1%} "
                f"{verdict(median_worst[0] >= target)}"
            )
            p99 = max(
                (row["p99_ms"], page) for page, row in runs[config].items() if page != "ceiling"
            )
            lines.append(
                f"{database}, cached ({config}): highest p99 {p99[0]:.1f} ms ({p99[1]}) "
                f"(target < {P99_TARGET_MS} ms) {'met' if p99[0] < P99_TARGET_MS else 'NOT met'}"
            )
        for config, label in (("off", "uncached"), ("render", "page cache off")):
            lines += uncached_verdicts(database, label, runs.get(config, {}))
        lines += language_verdicts(database, runs)
        errors = sum(row["errors"] for rows in runs.values() for row in rows.values())
        lines.append(f"{database}: {errors} errors in all runs (target 0)")
    return lines


def verdict(ok):
    return "met" if ok else "NOT met"


def uncached_verdicts(database, label, rows):
    lines = []
    for page, row in rows.items():
        if page == "ceiling":
            continue
        share, mean_share = row["of_ceiling"], row["of_mean_ceiling"]
        median = row["of_ceiling_median"]
        # Met only against both readings: a slow ceiling run beside a page flatters it.
        ok = min(share, mean_share) >= UNCACHED_TARGET
        lines.append(
            f"{database}, {label} {page} ({row['url'][:40]}): {share:.1%} of the ceiling "
            f"beside it, {mean_share:.1%} of the run's mean ceiling "
            f"(target {UNCACHED_TARGET:.0%}) {verdict(ok)}; median of paired rounds "
            f"{median:.1%} {verdict(median >= UNCACHED_TARGET)}"
        )
    return lines


def language_verdicts(database, runs):
    """Each French page's rps against its English counterpart's, per cache configuration."""
    lines = []
    for config, rows in runs.items():
        label = {"off": "uncached", "render": "page cache off"}.get(config, f"cached ({config})")
        for french, english in LANGUAGE_PAIRS.items():
            if french not in rows or english not in rows or not rows[english]["rps"]:
                continue
            ratio = rows[french]["rps"] / rows[english]["rps"]
            ok = ratio >= 1 - LANGUAGE_TOLERANCE
            lines.append(
                f"{database}, {label}: {rows[french]['url'][:30]} at {ratio:.1%} of "
                f"{rows[english]['url'][:30]} (target within {LANGUAGE_TOLERANCE:.0%}) "
                f"{'met' if ok else 'NOT met'}"
            )
    return lines


def markdown(results):
    out = [
        f"Run {results['finished']} on {results['machine']}, wrk {results['connections']} "
        f"connections, {results['duration']} s per URL in {results['rounds']} rounds, each "
        f"round beside a ceiling run before and after it, gunicorn.conf.py defaults "
        f"({results['workers']} workers). rps, p50 and p99: the page's rounds pooled (the "
        "worst round's latencies); steal: the most CPU time the machine's host took from it "
        "in any round.",
        "",
    ]
    for database, data in results["databases"].items():
        out += [f"### {database}", ""]
        out += [
            "| page | URL | cache | rps | p50 ms | p99 ms | errors | ceiling rps beside it "
            "| of ceiling | of the run's mean ceiling | median of paired rounds | steal |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for config, rows in data["runs"].items():
            for page, row in rows.items():
                out.append(
                    f"| {page} | `{row['url']}` | {config} | {row['rps']:.0f} | "
                    f"{row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['errors']} | "
                    f"{row.get('ceiling_rps', row['rps']):.0f} | {row['of_ceiling']:.1%} | "
                    f"{row['of_mean_ceiling']:.1%} | {row['of_ceiling_median']:.1%} | "
                    f"{row['steal']:.0%} |"
                )
        out += ["", "In-process, page cache off (server-side time, SQL queries):", ""]
        out += [
            "| page | URL | queries | min ms | median ms |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        for page, row in data["inprocess"].items():
            if "skipped" in row:
                out.append(f"| {page} | `{row['url']}` | skipped: {row['skipped']} | | |")
            else:
                out.append(
                    f"| {page} | `{row['url']}` | {row['queries']} | {row['min_ms']:.2f} | "
                    f"{row['median_ms']:.2f} |"
                )
        out.append("")
    out += ["### Targets", ""] + [f"- {line}" for line in results["verdicts"]] + [""]
    return "\n".join(out)


def write_doc(section):
    text = DOC.read_text() if DOC.exists() else ""
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    block = f"{start}\n{section}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text += "\n" + block + "\n"
    DOC.write_text(text)


def main():
    parser = argparse.ArgumentParser(description="Load the site with wrk; see bench/run.py.")
    parser.add_argument("--duration", type=int, default=6, help="seconds per URL, all rounds")
    parser.add_argument(
        "--rounds", type=int, default=3, help="short runs per URL, each beside ceiling runs"
    )
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--caches", default=",".join(CACHE_CONFIGS), help="page cache configurations to load"
    )
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args()
    if not set(args.caches.split(",")) <= set(CACHE_CONFIGS):
        parser.error(f"--caches takes {', '.join(CACHE_CONFIGS)}, comma-separated")
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    log = open(work / "gunicorn.log", "w")
    base = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),
        "SERVE_MEDIA": "false",
        "LOG_LEVEL": "WARNING",
        # Production keeps database connections (a new PostgreSQL backend per request costs
        # more than the whole listing); README's production section sets it too.
        "CONN_MAX_AGE": os.environ.get("CONN_MAX_AGE", "60"),
    }
    base.pop("CACHE_URL", None)
    results = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} ({os.cpu_count()} CPUs, {platform.python_version()})",
        "duration": args.duration,
        "rounds": args.rounds,
        "connections": args.connections,
        "workers": int(os.environ.get("GUNICORN_WORKERS", (os.cpu_count() or 1) + 1)),
        "databases": {},
    }
    try:
        print("== collecting static files", flush=True)
        manage(
            {**base, "DATABASE_URL": f"sqlite:///{work / 'unused.sqlite3'}"},
            "collectstatic",
            "--noinput",
        )
        for name in args.databases.split(","):
            if name == "sqlite":
                env = {**base, "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}"}
            elif name == "postgres":
                postgres_scratch(create=True)
                env = {**base, "DATABASE_URL": POSTGRES_URL.rstrip("/") + f"/{POSTGRES_DB}"}
            else:
                sys.exit(f"unknown database {name}")
            results["databases"][name] = bench_database(name, env, work, args, log)
    finally:
        log.close()
        if "postgres" in args.databases:
            postgres_scratch(create=False)
        shutil.rmtree(work, ignore_errors=True)
    results["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["seconds"] = round(time.monotonic() - started)
    results["verdicts"] = verdicts(results)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    print("\n" + "\n".join(results["verdicts"]))
    print(f"\nDone in {results['seconds']} s; results in bench/results/latest.json")
    partial = set(args.caches.split(",")) != set(CACHE_CONFIGS) or set(
        args.databases.split(",")
    ) != {"sqlite", "postgres"}
    if not args.no_doc and not partial:
        write_doc(markdown(results))
        print("docs/performance.md updated")


if __name__ == "__main__":
    main()

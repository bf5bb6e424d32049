"""The parts bench/breaking.py puts together: the editor, the reader, varnishd and wrk's mix.

- The editor is a separate process (`bench/breaking.py --editor`) publishing one entry a second
  through the ORM, as bench/soak.py's does, and recording each publish's commit time.
- The reader polls `/` as an anonymous visitor (no cookies) and notes when each of the editor's
  headlines first shows; delay = first response showing it - commit time.
- varnishd runs deploy/varnish/default.vcl as shipped; only backends.vcl is written per run.
"""

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "breaking.lua"
VCL_DIR = ROOT / "deploy" / "varnish"


def headline(tag, tick):
    return f"Breaking {tag} entry {tick}"


# -- the editor (its own process) --------------------------------------------------------


def run_editor(seconds, tag):
    """Publish one entry a second for `seconds` seconds; print a JSON line with each commit's
    wall-clock time (time.time(), comparable across processes)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from entries.models import Entry, Topic
    from newsroom import purge

    # The new entries are in the default language: so is their topic.
    topic = Topic.objects.in_language(settings.LANGUAGE_CODE).order_by("pk").first()
    warm_up(topic)
    # Ready (Django set up, the database connected): an editor's server is up before the
    # news breaks, so its start-up is no part of the publishing phase. Wait for the word.
    print("ready", flush=True)
    sys.stdin.readline()
    published, save_seconds, errors = [], [], []
    start = time.monotonic()
    tick = 0
    while time.monotonic() - start < seconds:
        began = time.monotonic()
        try:
            with transaction.atomic():
                entry = Entry.objects.create(
                    headline=headline(tag, tick),
                    slug=f"breaking-{tag}-{tick}",
                    summary="Written by the breaking-news benchmark's editor.",
                    body="First paragraph.\n\nSecond paragraph.",
                    status=Entry.Status.DRAFT,
                )
                if topic:
                    entry.topics.add(topic)
            committed = []
            # Publishing is a second save, as an editor does it. The first on-commit callback
            # runs right after COMMIT, before the cache invalidation's own callbacks.
            with transaction.atomic():
                transaction.on_commit(lambda out=committed: out.append(time.time()))
                entry.status = Entry.Status.PUBLISHED
                entry.pub_date = timezone.now()
                entry.save()
            published.append({"tick": tick, "slug": entry.slug, "committed": committed[0]})
        except Exception as error:  # report every failure, keep editing
            errors.append(f"{tick}: {error!r}")
        save_seconds.append(time.monotonic() - began)
        tick += 1
        time.sleep(max(0.0, start + tick - time.monotonic()))
    purge.wait(10.0)  # purges queued by the last saves (Varnish phase) are sent before exit
    print(json.dumps({"published": published, "save_seconds": save_seconds, "errors": errors}))


def warm_up(topic):
    """Render the public pages' templates once, storing nothing: a running server has, and this
    process renews the pages each publish changes (PAGE_RENEW_ON_COMMIT), so its first publish
    would otherwise compile them while the load runs."""
    from django.test import Client, override_settings

    from entries.models import Entry

    entry = Entry.objects.published().order_by("-pub_date").first()
    paths = ["/", "/feeds/entries.rss", "/feeds/entries.atom"]
    paths += [page.get_absolute_url() for page in (entry, topic) if page is not None]
    with override_settings(PAGE_CACHE=False):
        client = Client(HTTP_HOST="127.0.0.1")
        for path in paths:
            status = client.get(path).status_code
            if status != 200:
                raise RuntimeError(f"warming up the editor: {path} answered {status}")


def start_editor(env, seconds, tag):
    """The editor's process, set up and waiting: `go(process)` starts its publishing."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "breaking.py"), "--editor", "--seconds",
         str(seconds), "--tag", tag],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    for line in process.stdout:  # nothing else is written before the word
        if line.strip() == "ready":
            return process
    process.kill()
    raise RuntimeError("the editor did not start")


def go(process):
    process.stdin.write("go\n")
    process.stdin.flush()


def finish_editor(process, seconds):
    out, _ = process.communicate(timeout=seconds + 60)
    if process.returncode:
        raise RuntimeError(f"the editor exited with {process.returncode}")
    return json.loads(out.strip().splitlines()[-1])


# -- the reader (a thread of the main process) ------------------------------------------


class Reader:
    """Polls `url` until stopped and keeps, per headline tick, when it was first seen."""

    def __init__(self, url, tag):
        self.url = url
        self.pattern = re.compile(re.escape(f"Breaking {tag} entry ") + r"(\d+)\b")
        self.first_seen = {}
        self.polls = 0
        self.errors = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reader", daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=15)

    def _run(self):
        deadline = time.monotonic() + 600  # bounded whatever happens to the caller
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                # A new connection and no cookie jar: an anonymous first visit each time.
                with urllib.request.urlopen(self.url, timeout=10) as response:
                    body = response.read().decode()
                    status = response.status
            except (OSError, urllib.error.HTTPError) as error:
                self.errors.append(repr(error))
                self._stop.wait(0.05)
                continue
            seen_at = time.time()
            self.polls += 1
            if status != 200:
                self.errors.append(f"status {status}")
            for tick in self.pattern.findall(body):
                self.first_seen.setdefault(int(tick), seen_at)
            self._stop.wait(0.01)

    def wait_for(self, ticks, seconds):
        """Wait (at most `seconds`) until every tick in `ticks` has been seen."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not set(ticks) <= self.first_seen.keys():
            time.sleep(0.05)


def freshness(edits, reader):
    """Delay from each publish's commit to the first anonymous `/` showing its headline."""
    delays = {
        p["tick"]: round(reader.first_seen[p["tick"]] - p["committed"], 3)
        for p in edits["published"]
        if p["tick"] in reader.first_seen
    }
    missing = [p["tick"] for p in edits["published"] if p["tick"] not in reader.first_seen]
    ordered = sorted(delays.values())
    return {
        "published": len(edits["published"]),
        "seen": len(delays),
        "never_seen": missing,
        "max_s": ordered[-1] if ordered else None,
        "p99_s": ordered[math.ceil(0.99 * len(ordered)) - 1] if ordered else None,
        "p50_s": ordered[math.ceil(0.50 * len(ordered)) - 1] if ordered else None,
        "delays_s": delays,
        "reader_polls": reader.polls,
        "reader_errors": reader.errors[:20],
        "reader_error_count": len(reader.errors),
    }


# -- wrk over the weighted mix -----------------------------------------------------------


def wrk_mix(url, seconds, connections, threads, paths_file):
    result = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(LUA), url],
        env={**os.environ, "BREAKING_PATHS_FILE": str(paths_file)},
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )  # fmt: skip
    line = next(x for x in result.stdout.splitlines() if x.startswith("BREAKING_JSON "))
    summary = json.loads(line.removeprefix("BREAKING_JSON "))
    # Answers that are not 2xx or 3xx, as wrk counts them (its errors.status counts > 399).
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    non_2xx_3xx = int(match.group(1)) if match else 0
    errors = sum(v for k, v in summary["errors"].items() if k != "status") + non_2xx_3xx
    return {
        "rps": round(summary["requests"] / (summary["duration_us"] / 1e6), 1),
        "p50_ms": summary["latency_ms"]["p50"],
        "p90_ms": summary["latency_ms"]["p90"],
        "p99_ms": summary["latency_ms"]["p99"],
        "max_ms": summary["latency_ms"]["max"],
        "requests": summary["requests"],
        "errors": errors,
        "error_detail": {**summary["errors"], "non_2xx_3xx": non_2xx_3xx},
    }


# -- varnishd ----------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def varnishd_binary():
    return shutil.which("varnishd") or (
        "/usr/sbin/varnishd" if Path("/usr/sbin/varnishd").exists() else None
    )


class Varnish:
    """varnishd with the shipped default.vcl on a free loopback port, in front of one app."""

    def __init__(self, backend_port, work, log):
        self.port = free_port()
        self.backend_port, self.work, self.log = backend_port, work, log
        self.process = None

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self):
        binary = varnishd_binary()
        if binary is None:
            raise RuntimeError("varnishd is missing: apt-get install varnish varnish-modules")
        site = self.work / "vcl"
        site.mkdir(exist_ok=True)
        # As deploy/varnish/backends.vcl has it for one instance (tests/varnish.py likewise):
        # `alive` decides where requests go, `ready` (/healthz) whether the app is serving.
        probe = ".interval = 1s; .timeout = 2s; .window = 5; .threshold = 3; .initial = 3;"
        backend = f'.host = "127.0.0.1"; .port = "{self.backend_port}";'
        (site / "backends.vcl").write_text(
            f"""vcl 4.1;
import directors;
import std;
probe alive {{ .url = "/robots.txt"; {probe} }}
probe ready {{ .url = "/healthz"; {probe} }}
backend app {{ {backend} .probe = alive; .connect_timeout = 1s; .first_byte_timeout = 30s; }}
backend app_ready {{ {backend} .probe = ready; }}
sub vcl_init {{
    new instances = directors.round_robin();
    instances.add_backend(app);
    new ready_watch = directors.round_robin();
    ready_watch.add_backend(app_ready);
}}
sub vcl_recv {{
    set req.backend_hint = instances.backend();
    if (!std.healthy(ready_watch.backend())) {{
        set req.http.X-Newsroom-App-Down = "1";
    }}
}}
acl purgers {{ "127.0.0.1"; "::1"; "localhost"; }}
"""
        )
        self.process = subprocess.Popen(
            [binary, "-F", "-j", "none", "-n", str(self.work / "varnish-work"),
             "-a", f"127.0.0.1:{self.port}", "-T", "none",
             "-f", str(VCL_DIR / "default.vcl"), "-p", f"vcl_path={site}:{VCL_DIR}",
             "-s", "malloc,256m"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"varnishd exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("varnishd did not answer within 30 s")

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

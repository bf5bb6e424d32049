"""`make fuzz`: thousands of seeded hostile requests against real gunicorns; no answer is a 5xx.

Two servers as production runs them (gunicorn.conf.py, DEBUG off, page cache on): SQLite with
the local-memory cache, and PostgreSQL with Redis (TEST_POSTGRES_URL, TEST_REDIS_URL; a
per-run database and key prefix, removed afterwards). Each gets FUZZ_REQUESTS (10,000)
requests written byte for byte on a socket: methods, paths (the site's own, crawled from its
pages, then mutated: traversal, encodings, NUL, overlong, invalid UTF-8), query strings (known
filters with good and bad values, junk), headers (Host, conditional, cookies, ranges, forwarded
addresses, encodings) and bodies. Every answer must be an HTTP status below 500 without a
traceback or a setting in it, and the servers' logs must hold no traceback.

The requests are drawn from FUZZ_SEED (random unless given, printed at the start and in every
failure): `FUZZ_SEED=<seed> make fuzz` sends the same requests again. Not part of `make test`
(about a minute per database); .ci/run runs it.
"""

import os
import random
import re
import secrets
import socket
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest

from .servers import get, gunicorn, manage, production_env

pytestmark = pytest.mark.fuzz

SEED = int(os.environ.get("FUZZ_SEED") or secrets.randbelow(2**32))
REQUESTS = int(os.environ.get("FUZZ_REQUESTS", "10000"))
CLIENTS = 6  # connections at once
PORT_MARK = "{PORT}"  # replaced by the server's port when sending
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/newsroom_production_instances"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")

LEAKS = ["Traceback", 'File "', "SECRET_KEY", "DATABASES", "site-packages", "INSTALLED_APPS"]

METHODS = ["GET"] * 14 + ["HEAD"] * 3 + ["POST", "OPTIONS", "TRACE", "PUT", "DELETE", "FOO"]
NASTY = [
    "..", "%2e%2e", "%2e%2e%2f", "..%2f", "%252e%252e", "%00", "%ff", "%c0%af", "%e2%80%ae",
    "\u202e", "é", "日本", "😀", "<script>", "'\"", ";", "%0d%0aX-Evil: 1", "//", "\\", " ",
    "~", "*", "%", "%zz", "a" * 300, "x" * 3000, "null", "-1", "0", "9" * 30, "1e9",
]  # fmt: skip
PARAMS = ["q", "topic", "year", "month", "from", "to", "page", "z", "utm_source", "format"]
VALUES = [
    "", "1", "2", "0", "-1", "999999", "9" * 40, "1_0", "\uff11", "\u0662", "2024", "12",
    "13", "2024-02-30", "2024-13-01", "0000-00-00", "2024-01-01", "9999-12-31", "last", "x",
    "energy", "generated-1", "<script>alert(1)</script>", "' OR 1=1 --", "%00", "a" * 600,
    "日本", "😀", "\u202e", "null", "[]", "{}", "1.5", " 1", "true", "%ff%fe",
]  # fmt: skip
HOSTS = [f"127.0.0.1:{PORT_MARK}"] * 12 + [
    "127.0.0.1", "localhost", "[::1]", "evil.example", "127.0.0.1:1", "127.0.0.1:99999",
    "a" * 300, "127.0.0.1\t", "-", "127.0.0.1:{PORT}@evil.example", "xn--80ak6aa92e.com",
    None, "",
]  # fmt: skip
EXTRA_HEADERS = [
    ("Accept", ["*/*", "text/html", "application/json", "image/webp,*/*;q=0.1", "x" * 500]),
    ("Accept-Encoding", ["gzip", "br, gzip", "identity;q=0", "*", "gzip;q=nan"]),
    ("If-None-Match", ['"abc"', "*", 'W/"x"', "garbage", '""']),
    ("If-Modified-Since", ["Mon, 01 Jan 2024 00:00:00 GMT", "yesterday", "0", "9" * 30]),
    ("Cookie", ["sessionid=x", "csrftoken=y; messages=z", "a=" + "b" * 3000, "=;=;", "é=é"]),
    ("Range", ["bytes=0-10", "bytes=-5", "bytes=99999999-", "bytes=5-1", "lines=1-2"]),
    ("X-Forwarded-For", ["1.2.3.4", "1.2.3.4, 5.6.7.8", "garbage", "::1", ""]),
    ("X-Forwarded-Proto", ["https", "http", "gopher"]),
    ("Referer", ["https://evil.example/", "javascript:alert(1)", ""]),
    ("User-Agent", ["Mozilla/5.0", "", "x" * 2000, "sqlmap/1.0"]),
    ("Content-Type", ["application/x-www-form-urlencoded", "multipart/form-data", "a/b"]),
]


def mutate_path(rng, path):
    kind = rng.randrange(10)
    if kind < 4:
        return path
    if kind == 4:
        return path + rng.choice(NASTY)
    if kind == 5:
        return rng.choice(["/media/", "/static/", "/entries/", "/topics/", "/"]) + "/".join(
            rng.choice(NASTY) for _ in range(rng.randint(1, 4))
        )
    if kind == 6:
        word = "".join(
            chr(rng.choice([rng.randint(32, 126), rng.randint(128, 0x2FFF)])) for _ in range(8)
        )
        return path + quote(word, safe="/%")
    if kind == 7:
        return path.replace("/", rng.choice(["//", "/./", "/%2f", "/../"]), 1)
    if kind == 8:
        return path.upper() if rng.random() < 0.5 else path.rstrip("/")
    return "/" + "".join(rng.choice("abc/.%~_-0") for _ in range(rng.randint(1, 40)))


def make_query(rng):
    if rng.random() < 0.35:
        return ""
    pairs = []
    for _ in range(rng.randint(1, 5)):
        name = rng.choice(PARAMS) if rng.random() < 0.85 else rng.choice(NASTY)
        pairs.append(f"{quote(name)}={quote(rng.choice(VALUES))}")
    query = "&".join(pairs)
    if rng.random() < 0.05:
        query += rng.choice(["&&", "&=", "%", "%zz", "=&=", "&page", "#frag"])
    return query


def make_request(rng, paths):
    """One request's bytes, with PORT_MARK where the server's port goes."""
    method = rng.choice(METHODS)
    target = mutate_path(rng, rng.choice(paths))
    query = make_query(rng)
    if query:
        target += "?" + query
    version = "HTTP/1.1" if rng.random() < 0.92 else rng.choice(["HTTP/1.0", "HTTP/2.0", "HTTP/9"])
    lines = [f"{method} {target} {version}"]
    host = rng.choice(HOSTS)
    if host is not None:
        lines.append(f"Host: {host}")
    for name, values in rng.sample(EXTRA_HEADERS, rng.randint(0, 4)):
        lines.append(f"{name}: {rng.choice(values)}")
    body = b""
    if method in {"POST", "PUT"} or rng.random() < 0.03:
        body = rng.choice([b"", b"a=1&b=2", b"csrfmiddlewaretoken=x&username=a&password=b"])
        body += bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: close")
    head = "\r\n".join(lines) + "\r\n\r\n"
    # Paths and values are ASCII after quoting; raw non-ASCII bytes go out as UTF-8.
    return head.encode("utf-8", "surrogateescape") + body


def requests_for(seed, paths, count):
    rng = random.Random(seed)
    return [make_request(rng, paths) for _ in range(count)]


def send(port, request):
    data = request.replace(PORT_MARK.encode(), str(port).encode())
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


STATUS = re.compile(rb"^HTTP/1\.[01] (\d{3}) ")


def crawl(server):
    """The site's own paths: pages, entries, topics, feeds, media and static files."""
    seen = {"/", "/topics/", "/feeds/entries.rss", "/feeds/entries.atom", "/sitemap.xml",
            "/robots.txt", "/healthz", "/admin/", "/admin/login/"}  # fmt: skip
    for page in ["/", "/?page=2", "/topics/"]:
        html = get(server.url(page))[2]
        seen.update(re.findall(r'(?:href|src)="(/[^"?#]*)', html))
        seen.update(m.split()[0] for m in re.findall(r"(/media/[^\s\",]+ \d+w)", html))
    entry = next(p for p in sorted(seen) if p.startswith("/entries/"))
    html = get(server.url(entry))[2]
    seen.update(re.findall(r'(?:href|src|content)="(?:http://[^/"]+)?(/[^"?#]*)', html))
    return sorted(seen)


def fuzz(server, label):
    paths = crawl(server)
    assert any(p.startswith("/media/") for p in paths), paths
    assert any(p.startswith("/static/") for p in paths), paths
    requests = requests_for(SEED, paths, REQUESTS)
    print(
        f"\nfuzz {label}: FUZZ_SEED={SEED}, {len(requests)} requests, {len(paths)} paths",
        file=sys.stderr,
    )
    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(lambda request: send(server.port, request), requests))
    seconds = time.monotonic() - started
    statuses = Counter()
    failures = []
    for number, (request, answer) in enumerate(zip(requests, answers, strict=True)):
        found = STATUS.match(answer)
        status = int(found[1]) if found else None
        statuses[status] += 1
        leaked = [marker for marker in LEAKS if marker.encode() in answer]
        if status is None or status >= 500 or leaked:
            failures.append((number, status, leaked, request[:300]))
    print(
        f"fuzz {label}: {seconds:.0f} s, statuses {dict(sorted(statuses.items(), key=str))}",
        file=sys.stderr,
    )
    assert not failures, (
        f"FUZZ_SEED={SEED} make fuzz: {len(failures)} bad answers, first ones "
        f"(request number, status, leaks, request): {failures[:5]}"
    )
    log = server.output()
    assert "Traceback" not in log, f"FUZZ_SEED={SEED}: the server logged a traceback\n{log[-5000:]}"
    # Most requests reach the site itself, not only its error pages.
    assert statuses[200] > REQUESTS // 10, statuses


def content(env):
    manage(env, "migrate", "--noinput")
    manage(env, "generate_entries", "60")
    manage(env, "make_renditions")


def test_fuzz_sqlite(tmp_path, collected_static):
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp_path / 'fuzz.sqlite3'}",
        PAGE_CACHE="true",
        SERVE_MEDIA="true",
        GUNICORN_WORKERS="3",
    )
    content(env)
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        fuzz(server, "SQLite")


@pytest.fixture
def postgres_and_redis(tmp_path):
    psycopg = pytest.importorskip("psycopg")
    import redis

    server_url, name = POSTGRES_URL.rsplit("/", 1)
    name = f"{name}_fuzz_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is needed at {server_url} (.ci/run starts it): {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    prefix = f"fuzz-{secrets.token_hex(4)}"
    yield f"{server_url}/{name}", f"{REDIS_URL}?key_prefix={prefix}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def test_fuzz_postgresql_with_redis(tmp_path, collected_static, postgres_and_redis):
    database_url, cache_url = postgres_and_redis
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=database_url,
        CACHE_URL=cache_url,
        CONN_MAX_AGE="60",
        PAGE_CACHE="true",
        SERVE_MEDIA="true",
        GUNICORN_WORKERS="3",
    )
    content(env)
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        fuzz(server, "PostgreSQL + Redis")


def test_the_same_seed_makes_the_same_requests():
    paths = ["/", "/entries/a/", "/media/images/x.jpg"]
    assert requests_for(7, paths, 200) == requests_for(7, paths, 200)
    assert requests_for(7, paths, 200) != requests_for(8, paths, 200)

"""A stored page leaves gunicorn in one write, with the bytes gunicorn itself would send
(newsroom/gunicorn_stored_responses.py); whatever it cannot send that way goes the usual way."""

import re
import socket

import pytest
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.parser import RequestParser

from newsroom.gunicorn_stored_responses import send_stored_response
from tests.servers import gunicorn, manage, production_env

BODY = b"<!doctype html><title>Entries</title>" * 300
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("X-Frame-Options", "DENY"),
    ("Content-Length", str(len(BODY))),
    ("xkey", "listing site"),
    ("Cache-Control", "public, max-age=0, s-maxage=60"),
    ("ETag", '"abc"'),
]


class CountingSocket:
    def __init__(self, sock):
        self.sock, self.writes = sock, 0

    def sendall(self, data):
        self.writes += 1
        return self.sock.sendall(data)

    def __getattr__(self, name):
        return getattr(self.sock, name)


def gunicorn_response(request):
    """A gunicorn response to `request` (bytes), as the worker makes it, and a way to read what
    it wrote."""
    ours, theirs = socket.socketpair()
    theirs.sendall(request)
    cfg = Config()
    client, server = ("127.0.0.1", 40000), ("127.0.0.1", 8000)
    parsed = next(RequestParser(cfg, ours, client))
    counted = CountingSocket(ours)
    response, _ = wsgi.create(parsed, counted, client, server, cfg)

    def written():
        ours.close()
        chunks = []
        while chunk := theirs.recv(65536):
            chunks.append(chunk)
        theirs.close()
        return b"".join(chunks)

    return response, counted, written


def the_usual_way(request, headers, body):
    response, sock, written = gunicorn_response(request)
    write = response.start_response("200 OK", headers)
    write(body)
    response.close()
    return written(), sock.writes, response.should_close()


def undated(answer):
    return re.sub(rb"\r\nDate: [^\r]+\r\n", b"\r\nDate: -\r\n", answer, count=1)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n",
        b"HEAD / HTTP/1.1\r\nHost: example.org\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: example.org\r\nConnection: close\r\n\r\n",
        b"GET / HTTP/1.0\r\n\r\n",
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    ],
    ids=["get", "head", "connection-close", "http-1.0", "http-1.0-keep-alive"],
)
def test_a_stored_page_leaves_in_one_write_with_the_bytes_gunicorn_would_send(request_bytes):
    expected, _, expected_close = the_usual_way(request_bytes, HEADERS, BODY)

    response, sock, written = gunicorn_response(request_bytes)
    assert send_stored_response(response.start_response, HEADERS, BODY)
    closes = response.should_close()
    answer = written()

    assert undated(answer) == undated(expected)
    assert sock.writes == 1
    assert closes == expected_close
    # What the access log reads.
    assert response.status == "200 OK"
    assert response.sent == (0 if request_bytes.startswith(b"HEAD") else len(BODY))


def test_a_worker_told_to_close_says_so():
    response, _, written = gunicorn_response(b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n")
    response.force_close()  # gunicorn does this on its last request before a restart
    assert send_stored_response(response.start_response, HEADERS, BODY)
    assert b"\r\nConnection: close\r\n" in written()


def test_the_header_lines_are_joined_once_per_stored_list_and_again_for_another():
    first, _, first_written = gunicorn_response(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert send_stored_response(first.start_response, HEADERS, BODY)
    assert b'ETag: "abc"' in first_written()
    # Another page: another list, which may sit where a dropped list once was.
    other = [(name, '"xyz"' if name == "ETag" else value) for name, value in HEADERS]
    second, _, second_written = gunicorn_response(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert send_stored_response(second.start_response, other, BODY)
    assert b'ETag: "xyz"' in second_written()


@pytest.mark.parametrize(
    "headers, body",
    [
        ([("Content-Type", "text/html")], BODY),  # no length: gunicorn would chunk it
        (HEADERS, BODY + b"more"),  # a length that is not the body's
        ([*HEADERS[:2], ("Content-Length", "\u00b2"), *HEADERS[3:]], BODY),  # not a number
        ([*HEADERS, ("X-Bad", "one\r\nSet-Cookie: x=1")], BODY),  # refused by gunicorn
        ([*HEADERS, ("Transfer-Encoding", "chunked")], BODY),  # framed by gunicorn
        ([*HEADERS, ("Bad Name", "x")], BODY),
    ],
    ids=["no-length", "wrong-length", "odd-length", "header-injection", "hop-by-hop", "bad-name"],
)
def test_what_gunicorn_would_refuse_or_frame_itself_goes_the_usual_way(headers, body):
    response, sock, written = gunicorn_response(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert not send_stored_response(response.start_response, headers, body)
    assert response.status is None and not response.headers_sent
    assert sock.writes == 0
    # The usual way still works on the untouched response.
    write = response.start_response("200 OK", HEADERS)
    write(BODY)
    assert written().endswith(BODY)


def test_a_response_already_started_or_another_servers_is_left_alone():
    response, sock, _ = gunicorn_response(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    response.start_response("200 OK", HEADERS)
    assert not send_stored_response(response.start_response, HEADERS, BODY)
    assert sock.writes == 0
    assert not send_stored_response(lambda status, headers: None, HEADERS, BODY)


# --- through a real gunicorn serving the site


def read_answer(sock, buffered=b""):
    """One HTTP response from a kept-alive connection: (header bytes, body)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"\r\nContent-Length: (\d+)", head).group(1))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk
        rest += chunk
    return head, rest[:length], rest[length:]


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    tmp = tmp_path_factory.mktemp("stored")
    env = production_env(
        tmp,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp / 'site.sqlite3'}",
        PAGE_CACHE="true",
        CACHE_URL="locmemcache://stored",
        GUNICORN_ACCESS_LOG="-",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "generate_entries", "3")
    with gunicorn(env, tmp / "gunicorn.log") as server:
        yield server


def test_through_gunicorn_a_cached_hit_carries_the_same_headers_as_the_render(site):
    request = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        answers, rest = [], b""
        for _ in range(3):  # rendered, then stored copies, on one kept-alive connection
            sock.sendall(request)
            head, body, rest = read_answer(sock, rest)
            answers.append((undated(head), body))
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        head_only = sock.recv(65536)
        while chunk := sock.recv(65536):
            head_only += chunk
    rendered, *hits = answers
    assert b"Connection: keep-alive" in rendered[0]
    assert b"s-maxage=" in rendered[0] and b"\r\nETag: " in rendered[0]
    for hit in hits:
        assert hit == rendered
    assert head_only.endswith(b"\r\n\r\n")  # headers only
    assert undated(head_only.removesuffix(b"\r\n\r\n")) == rendered[0].replace(
        b"Connection: keep-alive", b"Connection: close"
    )
    # The access log records the hits like any response: status and bytes sent.
    length = len(rendered[1])
    logged = re.findall(rf'"GET / HTTP/1.1" 200 {length}'.encode(), site.output().encode())
    assert len(logged) == 3

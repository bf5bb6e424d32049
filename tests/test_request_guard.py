"""TRACE, Host-less requests, bad Host and traversal log lines, and the static manifest.

Through the test client for every kind of URL, and through a real gunicorn (raw HTTP on a
socket, so nothing is added to what is sent) for what only a server sees.
"""

import re
import socket

import pytest

from tests import urlwalk

from .factories import make_entry, make_image, make_topic
from .servers import get, gunicorn, manage, production_env


@pytest.fixture
def content(settings):
    settings.SERVE_MEDIA = True
    topic = make_topic()
    entry = make_entry(image=make_image())
    entry.topics.add(topic)
    return entry


@pytest.mark.django_db
def test_trace_is_refused_on_every_public_url_media_and_static(client, content):
    topic = content.topics.get()
    values = {"slug": [content.slug, topic.slug], "path": [content.image.file.name]}
    paths = [content.image.file.url, "/static/css/site.css"]
    for route in urlwalk.public_routes():
        paths += urlwalk.fill(route, lambda _name, kind: values.get(kind, ["x"]))
    paths += ["/healthz", "/feeds/entries.rss", "/sitemap.xml", "/admin/login/"]
    for path in paths:
        for method in ("TRACE", "TRACK"):
            response = client.generic(method, path)
            assert response.status_code == 405, (method, path)
            assert "GET" in response["Allow"]
            assert b"TRACE" not in response.content
    # ...while the same URLs still answer GET.
    assert client.get(content.image.file.url).status_code == 200
    assert client.get("/healthz").status_code == 200


def raw(port, request):
    """Send `request` bytes as they are; the status line and the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    return answer.split(b"\r\n", 1)[0].decode(), answer


@pytest.fixture(scope="module")
def served(tmp_path_factory, collected_static):
    tmp = tmp_path_factory.mktemp("guard")
    env = production_env(
        tmp,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp / 'site.sqlite3'}",
        SERVE_MEDIA="true",
        PAGE_CACHE="true",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "generate_entries", "3")
    media = tmp / "media" / "images"
    media.mkdir(parents=True, exist_ok=True)
    (media / "photo.jpg").write_bytes(b"\xff\xd8 not really a photo \xff\xd9")
    with gunicorn(env, tmp / "guard.log") as server:
        yield server, collected_static


def test_trace_is_405_through_gunicorn_on_feeds_sitemap_healthz_media_and_static(served):
    server, _ = served
    html = get(server.url("/"))[2]
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html).group(1)
    paths = ["/", "/feeds/entries.rss", "/sitemap.xml", "/healthz", "/media/images/photo.jpg"]
    for path in [*paths, css]:
        assert get(server.url(path))[0] == 200, path
        request = f"TRACE {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        status, answer = raw(server.port, request.encode())
        assert status == "HTTP/1.1 405 Method Not Allowed", (path, answer[:300])
        assert b"\r\nAllow: GET, HEAD" in answer


def test_http11_without_host_is_400_even_for_a_cached_page(served):
    server, _ = served
    get(server.url("/"))  # stored by the page cache, keyed by the server's own address
    assert get(server.url("/"))[0] == 200
    status, _ = raw(server.port, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert status == "HTTP/1.1 400 Bad Request"
    status, _ = raw(server.port, b"GET /healthz HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n")
    assert status.endswith(" 400 Bad Request")
    # HTTP/1.0 has no Host requirement.
    status, _ = raw(server.port, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert status.endswith(" 200 OK")


def test_bad_hosts_and_traversal_attempts_log_one_short_line_each_at_most(served):
    server, _ = served
    before = server.output()
    for n in range(25):
        request = f"GET / HTTP/1.1\r\nHost: evil-{n}.example\r\nConnection: close\r\n\r\n"
        assert raw(server.port, request.encode())[0].endswith(" 400 Bad Request")
    for n in range(25):
        request = (
            f"GET /media/../../etc/passwd{n} HTTP/1.1\r\n"
            "Host: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        status = raw(server.port, request.encode())[0]
        assert status.split()[1] in {"400", "404"}, status
    log = server.output()[len(before) :]
    assert "Traceback" not in log and 'File "' not in log
    hosts = [line for line in log.splitlines() if "Invalid HTTP_HOST" in line]
    assert 1 <= len(hosts) <= 10, log  # one line each, then the rate limit
    traversals = [line for line in log.splitlines() if "outside of the base path" in line]
    assert 1 <= len(traversals) <= 10, log
    assert all(len(line) < 400 for line in log.splitlines())
    assert len(log.splitlines()) <= 25, log


def test_the_static_manifest_is_not_served(served):
    server, static_root = served
    manifest = static_root.parent / f"{static_root.name}-manifest" / "staticfiles.json"
    assert '"paths"' in manifest.read_text()
    assert not (static_root / "staticfiles.json").exists()
    assert get(server.url("/static/staticfiles.json"))[0] == 404

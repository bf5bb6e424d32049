"""gunicorn as gunicorn.conf.py runs it: slow clients, and instances that leave each other alone.

Real gunicorn processes on free loopback ports, with production settings.
"""

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from .servers import get, gunicorn, manage, production_env

GUNICORNC = str(Path(sys.executable).parent / "gunicornc")
HEADER_TIMEOUT = 3


@pytest.fixture(scope="module")
def site(tmp_path_factory, collected_static):
    tmp = tmp_path_factory.mktemp("gunicorn")
    env = production_env(
        tmp,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp / 'site.sqlite3'}",
        GUNICORN_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        # The default: each instance's control socket off. The tests' HOME is scratch space.
        HOME=str(tmp / "home"),
    )
    env.pop("XDG_RUNTIME_DIR", None)
    (tmp / "home").mkdir()
    manage(env, "migrate", "--noinput")
    manage(env, "generate_entries", "12")
    return tmp, env


class SlowClient:
    """Sends a request's headers a few bytes at a time, never finishing them."""

    def __init__(self, port, seconds):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=seconds)
        self.closed_by_server_after = None
        self._stop = time.monotonic() + seconds
        self._started = time.monotonic()
        self.thread = threading.Thread(target=self._dribble, daemon=True)
        self.thread.start()

    def _dribble(self):
        try:
            self.sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            while time.monotonic() < self._stop:
                self.sock.sendall(b"X")
                self.sock.settimeout(0.5)
                try:
                    if self.sock.recv(1024) == b"":  # the server hung up
                        self.closed_by_server_after = time.monotonic() - self._started
                        return
                except TimeoutError:
                    pass
        except OSError:  # reset by the server
            self.closed_by_server_after = time.monotonic() - self._started
        finally:
            self.sock.close()


def timed_get(url):
    start = time.monotonic()
    status = get(url, timeout=10)[0]
    return status, time.monotonic() - start


def test_three_slow_header_clients_leave_the_site_answering_at_once(site):
    tmp, env = site
    # One worker process, as a small deployment has per core: a sync worker would be held by
    # the first slow client until it finished or gunicorn killed it.
    with gunicorn({**env, "GUNICORN_WORKERS": "1"}, tmp / "slow.log") as server:
        assert get(server.url("/"))[0] == 200
        slow = [SlowClient(server.port, seconds=HEADER_TIMEOUT + 4) for _ in range(3)]
        time.sleep(1)  # each has sent its first bytes and holds a thread
        for path in ["/", "/?page=2", "/topics/", "/feeds/entries.rss", "/healthz"]:
            status, seconds = timed_get(server.url(path))
            assert status == 200, path
            assert seconds < 1, f"{path} took {seconds:.2f} s behind three slow clients"
        for client in slow:
            client.thread.join(timeout=HEADER_TIMEOUT + 6)
        # ...and the slow clients were cut off once their headers' time was up.
        for client in slow:
            assert client.closed_by_server_after is not None, "a slow client was never cut off"
            assert HEADER_TIMEOUT - 0.5 < client.closed_by_server_after < HEADER_TIMEOUT + 3


def test_a_request_sent_in_pieces_within_the_header_time_is_answered(site):
    tmp, env = site
    with gunicorn({**env, "GUNICORN_WORKERS": "1"}, tmp / "pieces.log") as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            for piece in [b"GET /healthz HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"\r\n"]:
                sock.sendall(piece)
                time.sleep(0.5)
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200 ")


def wait_for(path, seconds=10):
    """gunicorn opens its control socket a moment after its port."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.1)


def control(socket_path, command):
    result = subprocess.run(
        [GUNICORNC, "-s", str(socket_path), "-c", command, "-j"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_two_instances_share_no_control_socket_by_default(site):
    tmp, env = site
    shared = tmp / "home" / ".gunicorn" / "gunicorn.ctl"
    with gunicorn(env, tmp / "one.log") as one, gunicorn(env, tmp / "two.log") as two:
        assert get(one.url("/healthz"))[0] == 200
        assert get(two.url("/healthz"))[0] == 200
        time.sleep(1)  # past the moment a control socket would have been opened
        assert not shared.exists()
        assert "control socket" not in two.output().lower()


def test_each_instance_answers_on_its_own_control_socket(site):
    tmp, env = site
    first, second = tmp / "first.ctl", tmp / "second.ctl"
    with gunicorn({**env, "GUNICORN_CONTROL_SOCKET": str(first)}, tmp / "a.log") as one:
        with gunicorn({**env, "GUNICORN_CONTROL_SOCKET": str(second)}, tmp / "b.log") as two:
            wait_for(first)
            wait_for(second)
            assert control(first, "show stats")["pid"] == one.process.pid
            assert control(second, "show stats")["pid"] == two.process.pid
        # Stopping the second instance left the first one's socket alone.
        assert not second.exists()
        assert first.exists()
        assert control(first, "show stats")["pid"] == one.process.pid

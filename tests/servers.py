"""Real gunicorn servers in subprocesses, on free ports, with production settings."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port():
    """A loopback port nothing listens on (bound, then released)."""
    return free_port()


def production_env(tmp_path, static_root, **extra):
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "test-secret-key-for-subprocess-servers-0123456789abcdef",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_ROOT": str(static_root),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": "",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CACHE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    env.update(extra)
    return env


def manage(env, *args):
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def get(url, headers=None, timeout=10):
    """(status, headers, text) without raising on error statuses."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode(errors="replace")


def wait_for_port(process, port, name, output, seconds=30):
    """Until `process` accepts connections on `port`; fails with its output if it exits."""
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, output()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, f"{name} did not start\n" + output()
            time.sleep(0.05)


def stop(process):
    """SIGTERM to the process group, SIGKILL after 15 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return  # a test stopped it already
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class Server:
    def __init__(self, port, process, log):
        self.port, self.process, self.log = port, process, log

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self):
        return Path(self.log.name).read_text()


@contextmanager
def gunicorn(env, log_path):
    """gunicorn.conf.py on a free port; waits until it answers, stops it afterwards."""
    port = free_port()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, GUNICORN, "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = Server(port, process, log)
        try:
            wait_for_port(process, port, "gunicorn", server.output)
            yield server
        finally:
            stop(process)

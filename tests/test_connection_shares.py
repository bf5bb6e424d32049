"""Kept-alive connections spread evenly over gunicorn's workers (newsroom/connection_shares.py):
real gunicorn, gunicorn.conf.py's worker, 4 workers on a loopback port."""

import os
import socket
import subprocess
import sys
import time
from collections import Counter

import pytest

from newsroom.connection_shares import SLACK, ConnectionShares

from .servers import GUNICORN, ROOT, free_port, production_env, stop, wait_for_port

WORKERS = 4
CONNECTIONS = 32


@pytest.fixture
def workers(tmp_path, collected_static):
    """gunicorn serving tests/pid_app.py (each answer: the serving worker's pid)."""
    port = free_port()
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp_path / 'site.sqlite3'}",
        GUNICORN_WORKERS=str(WORKERS),
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    with open(tmp_path / "gunicorn.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, GUNICORN, "-c", "gunicorn.conf.py", "tests.pid_app:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        output = (tmp_path / "gunicorn.log").read_text
        try:
            wait_for_port(process, port, "gunicorn", output)
            deadline = time.monotonic() + 30
            while output().count("Booting worker") < WORKERS:
                assert time.monotonic() < deadline, output()
                time.sleep(0.05)
            time.sleep(0.5)  # each in its main loop
            yield port
        finally:
            stop(process)


def served_by(connection):
    """Send a request on a kept-alive connection; the pid of the worker that answered."""
    connection.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
        chunk = connection.recv(4096)
        assert chunk, "the connection was closed"
        answer += chunk
    return int(answer.split(b"\r\n\r\n", 1)[1])


def test_kept_alive_connections_spread_evenly_over_the_workers(workers):
    connections = []
    try:
        for _ in range(CONNECTIONS):
            connection = socket.create_connection(("127.0.0.1", workers), timeout=10)
            connections.append(connection)
            served_by(connection)
        # Each connection stays with the worker that took it.
        held = Counter(served_by(connection) for connection in connections)
    finally:
        for connection in connections:
            connection.close()
    assert len(held) == WORKERS
    assert max(held.values()) - min(held.values()) <= SLACK + 1, held


def test_a_worker_that_died_without_freeing_its_slot_holds_no_one_back():
    shares = ConnectionShares(slots=4)
    shares.claim()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    shares._pids[1], shares._counts[1] = dead.pid, 0  # a worker killed with 0 connections
    shares._used.value = 2
    assert shares.may_accept(SLACK + 5)  # its pid is gone: not counted


def test_a_worker_takes_no_new_connection_while_another_live_one_has_far_fewer():
    shares = ConnectionShares(slots=4)
    shares.claim()
    shares._pids[1], shares._counts[1] = os.getppid(), 3  # a live process of ours
    shares._used.value = 2
    assert shares.may_accept(3 + SLACK)
    assert not shares.may_accept(3 + SLACK + 1)
    shares.release()
    assert shares._pids[0] == 0  # a stopping worker's slot is free for the next one

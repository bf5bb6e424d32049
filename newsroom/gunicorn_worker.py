"""gunicorn's threaded worker, with one deadline for a request's headers.

gunicorn's `gthread` worker already keeps a connection that sends nothing out of its threads
(it waits in the worker's poller). But once a client has sent its first byte, a thread reads
the request line and headers until they are complete, however slowly they come: a few clients
sending a byte every few seconds ("slowloris") would hold every thread. Here the reads of one
request's headers share a deadline (`GUNICORN_HEADER_TIMEOUT`, 10 s by default) counted from
its first byte; a client that has not sent them all by then is disconnected. The body, which
the application reads, and the response are not bounded by it.

This is a defence of last resort: a buffering proxy in front (Varnish, nginx) hands gunicorn
whole requests only (docs/deployment.md). Used by gunicorn.conf.py (`worker_class`).

The worker offers the application `environ["newsroom.send_stored_response"]`, which sends a
stored page in one write (newsroom/gunicorn_stored_responses.py).

The worker also takes new connections only while it holds no more than its share of them
(newsroom/connection_shares.py), so kept-alive connections spread evenly over the workers.
"""

import os
import socket
import time

from gunicorn.http.errors import NoMoreData
from gunicorn.workers.gthread import ThreadWorker

from .connection_shares import shares
from .gunicorn_stored_responses import ENVIRON_KEY, send_stored_response


def header_timeout():
    return float(os.environ.get("GUNICORN_HEADER_TIMEOUT", "10"))


class HeaderDeadlineSocket:
    """A client socket whose reads share one deadline while it is armed."""

    def __init__(self, sock, seconds):
        self._sock = sock
        self._seconds = seconds
        self._armed = True
        self._deadline = None

    def __getattr__(self, name):  # everything else is the socket's own
        return getattr(self._sock, name)

    def arm(self):
        """The next request's headers: the deadline starts with their first read."""
        self._armed, self._deadline = True, None

    def disarm(self):
        self._armed, self._deadline = False, None

    def recv(self, size, *flags):
        if not self._armed:
            return self._sock.recv(size, *flags)
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._seconds
        remaining = self._deadline - now
        if remaining <= 0:
            raise NoMoreData()
        if not flags:
            # Usually the bytes are here already (the poller saw them): read them without
            # setting a timeout and restoring it (four system calls per request).
            try:
                return self._sock.recv(size, socket.MSG_DONTWAIT)
            except BlockingIOError:
                pass
        blocking_timeout = self._sock.gettimeout()
        self._sock.settimeout(remaining)
        try:
            return self._sock.recv(size, *flags)
        except TimeoutError:
            # gunicorn closes the connection quietly, as for a client that went away.
            raise NoMoreData() from None
        finally:
            self._sock.settimeout(blocking_timeout)


class OfferingStoredResponses:
    """The application, with `send_stored_response` in each request's environ."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        environ[ENVIRON_KEY] = send_stored_response
        return self.application(environ, start_response)


class HeaderDeadlineWorker(ThreadWorker):
    # gthread's main loop takes new connections while `nr_conns < worker_connections`, asked
    # once per turn: the limit also says whether this worker holds no more than its share.
    @property
    def worker_connections(self):
        if self.alive and shares.may_accept(self.nr_conns):
            return self._worker_connections
        return min(self.nr_conns, self._worker_connections)

    @worker_connections.setter
    def worker_connections(self, value):
        self._worker_connections = value

    def load_wsgi(self):
        super().load_wsgi()
        self.wsgi = OfferingStoredResponses(self.wsgi)

    def init_process(self):
        shares.claim()
        super().init_process()

    def run(self):
        try:
            super().run()
        finally:
            shares.release()

    def handle_exit(self, sig, frame):
        shares.release()  # stopping: the others take the new connections
        super().handle_exit(sig, frame)

    def handle(self, conn):
        if self.cfg.is_ssl:  # gunicorn's own TLS wraps the raw socket: left as it is
            return super().handle(conn)
        if not isinstance(conn.sock, HeaderDeadlineSocket):
            conn.sock = HeaderDeadlineSocket(conn.sock, header_timeout())
        conn.sock.arm()
        return super().handle(conn)

    def handle_request(self, req, conn):
        # The headers are in: from here on the application reads at its own pace.
        if isinstance(conn.sock, HeaderDeadlineSocket):
            conn.sock.disarm()
        return super().handle_request(req, conn)

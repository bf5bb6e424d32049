"""A stored page sent by gunicorn in one write, its headers checked and joined once.

For each response gunicorn checks every header against the HTTP grammar, formats the date,
joins the header lines and writes them, then writes the body in a second system call. A page
replayed from the page cache has the same headers on every hit: here they are checked and
joined the first time they are sent, the date once a second, and the status line, headers and
body leave in one `sendall`. The bytes on the wire are the ones gunicorn would have written.

The worker (newsroom/gunicorn_worker.py) offers this to the application as an extension in the
WSGI environ, as servers offer `wsgi.file_wrapper`; the page cache (newsroom/cache.py) uses it
when it is there and calls `start_response` as usual when it is not (another server, the test
client, a response gunicorn would frame differently).
"""

import threading
import time
from email.utils import formatdate

from gunicorn.http.message import TOKEN_RE
from gunicorn.http.wsgi import HEADER_VALUE_RE, Response

ENVIRON_KEY = "newsroom.send_stored_response"
# Header blocks kept per worker: one per stored page answered lately.
BLOCKS = 512
# Headers gunicorn decides or drops itself (hop-by-hop): a page carrying one of them takes the
# usual path.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)


class _Blocks:
    """The header lines of stored header lists, keyed by the list itself (the page cache
    hands out the same list on every hit of a copy)."""

    def __init__(self):
        self._blocks = {}
        self._lock = threading.Lock()

    def get(self, headers):
        """(header lines as bytes, Content-Length) for `headers`, or None."""
        found = self._blocks.get(id(headers))
        if found is not None and found[0] is headers:
            return found[1]
        block = _header_block(headers)
        with self._lock:
            if len(self._blocks) >= BLOCKS:
                self._blocks.clear()
            # The list is kept with its block, so its id cannot be reused while it is here.
            self._blocks[id(headers)] = (headers, block)
        return block


def _header_block(headers):
    """The header lines as gunicorn writes them and the Content-Length among them, or None
    when gunicorn would refuse a header, drop one, or frame the body itself."""
    lines, length = [], None
    for name, value in headers:
        if not (isinstance(name, str) and isinstance(value, str)):
            return None
        if not (TOKEN_RE.fullmatch(name) and HEADER_VALUE_RE.fullmatch(value)):
            return None
        value = value.strip(" \t")
        lowered = name.lower()
        if lowered in _HOP_BY_HOP:
            return None
        if lowered == "content-length":
            if length is not None or not (value.isascii() and value.isdigit()):
                return None
            length = int(value)
        lines.append(f"{name}: {value}\r\n")
    if length is None:
        return None
    return "".join(lines).encode("latin-1"), length


_blocks = _Blocks()
_date = (0, "")


def _http_date():
    global _date
    now = int(time.time())
    second, text = _date
    if second != now:
        text = formatdate(now, usegmt=True)
        _date = (now, text)
    return text


def send_stored_response(start_response, headers, body):
    """Send a 200 response of `headers` and `body` through the gunicorn response behind
    `start_response`, in one write. True when sent; False when nothing was written and the
    caller answers as usual."""
    response = getattr(start_response, "__self__", None)
    if type(response) is not Response or response.status is not None:
        return False
    found = _blocks.get(headers)
    if found is None or found[1] != len(body):
        return False
    block, length = found
    request = response.req
    # What gunicorn's start_response records, for keep-alive and the access log.
    response.status, response.status_code = "200 OK", 200
    response.headers = headers
    response.response_length = length
    connection = "close" if response.should_close() else "keep-alive"
    major, minor = request.version
    head = (
        f"HTTP/{major}.{minor} 200 OK\r\nServer: {response.version}\r\n"
        f"Date: {_http_date()}\r\nConnection: {connection}\r\n"
    ).encode("latin-1")
    response.headers_sent = True
    if request.method == "HEAD":
        response.sock.sendall(b"".join((head, block, b"\r\n")))
    else:
        response.sock.sendall(b"".join((head, block, b"\r\n", body)))
        response.sent = length
    return True

"""A real HTTP server on a free loopback port that records the purges it receives."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEY_HEADERS = {"xkey-purge": True, "xkey-softpurge": False}


class PurgeServer:
    """Answers each request with the next status of `statuses` (the last one repeats)."""

    def __init__(self, statuses=(200,)):
        self.requests = []
        self.statuses = list(statuses)
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.requests.append((self.command, self.path, dict(self.headers), body))
                statuses = recorder.statuses
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PURGE = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def keys(self):
        """{"hard": keys, "soft": keys} received so far (xkey style), and forget them."""
        found = {"hard": set(), "soft": set()}
        for _, _, headers, body in self.requests:
            lowered = {name.lower(): value for name, value in headers.items()}
            for name, hard in KEY_HEADERS.items():
                if name in lowered:
                    found["hard" if hard else "soft"].update(lowered[name].split())
            if "surrogate-key" in lowered:
                soft = lowered.get("fastly-soft-purge") == "1"
                found["soft" if soft else "hard"].update(lowered["surrogate-key"].split())
            if body:
                found["hard"].update(json.loads(body)["tags"])
        self.requests.clear()
        return found

"""Security log lines that tell an operator what happened, without burying the log.

Django logs every bad `Host` header and every path that tries to leave a folder
(`django.security.*`) as an error with its whole traceback: some 17 lines each, and a scanner
sends thousands. `SecurityEventFilter` makes each one line (the message, without traceback,
control characters escaped, cut at 300 characters) and lets at most `limit` lines of one kind
through per `period` seconds; the next line after a quiet spell says how many were left out.
"""

import logging
import threading
import time

MAX_MESSAGE = 300


class SecurityEventFilter(logging.Filter):
    def __init__(self, limit=10, period=60.0):
        super().__init__()
        self.limit, self.period = limit, period
        self._lock = threading.Lock()
        self._windows = {}  # logger name -> [window start, lines let through, left out]

    def filter(self, record):
        message = record.getMessage().splitlines()[0] if record.getMessage() else ""
        message = message.encode("unicode_escape").decode("ascii")[:MAX_MESSAGE]
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault(record.name, [now, 0, 0])
            if now - window[0] >= self.period:
                window[:] = [now, 0, window[2]]
            if window[1] >= self.limit:
                window[2] += 1
                return False
            window[1] += 1
            left_out, window[2] = window[2], 0
        if left_out:
            message += f" ({left_out} more like it left out)"
        record.msg, record.args = message, None
        record.exc_info = record.exc_text = record.stack_info = None
        return True

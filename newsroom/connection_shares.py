"""Client connections spread evenly over one gunicorn master's workers.

Every worker waits on the same listening socket and the first awake takes each new
connection, so kept-alive connections pile up unevenly: under a load generator's 64
connections over 4 workers, one worker held 29 and another none (measured with `ss`), and the
readers on the crowded worker queued behind its 4 threads while the others had room. Here a
worker stops taking new connections while it holds more than SLACK above the least busy live
worker; the others take them. No connection is refused or closed: one waits in the listening
socket's backlog a moment longer, for a worker with room.

The counts live in memory created by the master before it forks the workers (this module is
imported with the worker class), one slot per live worker: a worker claims one when it starts
and frees it when it stops; a slot whose process died without freeing it is skipped once its
pid is found gone (checked every LIVENESS_SECONDS), and taken by the next worker to start.
"""

import multiprocessing
import os
import time

SLOTS = 256
SLACK = 2
LIVENESS_SECONDS = 1.0


class ConnectionShares:
    def __init__(self, slots=SLOTS):
        # Shared with every process forked after this (the workers).
        self._pids = multiprocessing.RawArray("q", slots)
        self._counts = multiprocessing.RawArray("q", slots)
        self._used = multiprocessing.RawValue("q", 0)  # slots below this have been claimed
        self._lock = multiprocessing.Lock()
        self._slot = None
        self._gone = set()  # pids of slots whose process died without freeing them
        self._checked = 0.0

    def claim(self):
        """Take a slot for this process (a worker starting)."""
        pid = os.getpid()
        with self._lock:
            for slot, owner in enumerate(self._pids):
                if owner == 0 or not _alive(owner):
                    self._pids[slot], self._counts[slot] = pid, 0
                    self._slot = slot
                    self._used.value = max(self._used.value, slot + 1)
                    break

    def release(self):
        """Give the slot up (a worker stopping: it takes no more connections)."""
        if self._slot is not None and self._pids[self._slot] == os.getpid():
            self._pids[self._slot] = 0
        self._slot = None

    def may_accept(self, connections):
        """Record this worker's open connections; whether it should take a new one."""
        slot = self._slot
        if slot is None:  # no slot (more workers than slots): take connections as gunicorn does
            return True
        pids, counts = self._pids, self._counts
        counts[slot] = connections
        claimed = [(pids[other], counts[other]) for other in range(self._used.value)]
        now = time.monotonic()
        if now - self._checked > LIVENESS_SECONDS:
            self._gone = {pid for pid, _count in claimed if pid and not _alive(pid)}
            self._checked = now
        fewest = min((count for pid, count in claimed if pid and pid not in self._gone), default=0)
        return connections <= fewest + SLACK


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process reuses the pid: not one of ours
        return False
    return True


shares = ConnectionShares()

"""`make run`: gunicorn and the background task worker side by side, stopped together.

    python -m newsroom.serve

Starts `gunicorn -c gunicorn.conf.py` and `manage.py db_worker` (the queue of Django's tasks
framework, django-tasks-db). Ctrl-C or SIGTERM stops both; if either one exits, the other is
stopped too and this exits with the first one's status, so a dead worker never goes unnoticed
behind a live site. Production runs them as separate services (docs/deployment.md).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STOP_TIMEOUT = 30  # seconds each gets to finish its request or task, as gunicorn's own


def commands():
    return {
        "gunicorn": [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"],
        "worker": [sys.executable, "manage.py", "db_worker"],
    }


def stop(processes):
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main():
    processes = {}
    stopping = []

    def on_signal(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        for name, command in commands().items():
            # Their own session: Ctrl-C reaches this process only, which then sends each one
            # SIGTERM once (a second signal would make the worker drop its task half-done).
            processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=os.environ, start_new_session=True
            )
        while not stopping:
            exited = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
            if exited:
                name, code = next(iter(exited.items()))
                print(
                    f"newsroom.serve: {name} exited ({code}); stopping the rest.", file=sys.stderr
                )
                return code or 1
            time.sleep(0.2)
        return 0
    finally:
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())

"""A real varnishd with deploy/varnish/default.vcl, on a free loopback port, for the tests.

Only backends.vcl (the site-specific part) is written per test: the VCL under test is the
shipped one. Without varnishd the tests skip, except under CI (CI=true), where they fail.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from .servers import ROOT

VCL_DIR = ROOT / "deploy" / "varnish"


def varnishd():
    found = shutil.which("varnishd") or next(
        (p for p in ("/usr/sbin/varnishd",) if Path(p).exists()), None
    )
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("varnishd is missing (.ci/run installs varnish and varnish-modules)")
        pytest.skip("varnishd is not installed (apt install varnish varnish-modules)")
    return found


def backends_vcl(backend_port, purgers=("127.0.0.1", "::1", "localhost")):
    acl = "\n".join(f'    "{address}";' for address in purgers)
    return (
        "vcl 4.1;\n"
        # Probed often, so a test sees the app go down within a second or two.
        'probe healthz { .url = "/healthz"; .interval = 0.5s; .timeout = 1s; '
        ".window = 3; .threshold = 2; .initial = 2; }\n"
        f'backend default {{ .host = "127.0.0.1"; .port = "{backend_port}"; '
        ".connect_timeout = 1s; .first_byte_timeout = 10s; .probe = healthz; }\n"
        f"acl purgers {{\n{acl}\n}}\n"
    )


class Varnish:
    def __init__(self, port, log_path, workdir):
        self.port, self.log_path, self.workdir = port, log_path, workdir

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def output(self):
        return Path(self.log_path).read_text()

    def counter(self, name):
        """One of varnishstat's counters, e.g. MAIN.backend_req (requests sent to the app)."""
        out = subprocess.run(
            [
                shutil.which("varnishstat") or "varnishstat",
                "-n",
                str(self.workdir),
                "-1",
                "-f",
                name,
            ],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return int(out.split()[1])


@contextmanager
def varnish(tmp_path, port, backend_port, **acl):
    """varnishd in the foreground on `port`, in front of 127.0.0.1:`backend_port`."""
    binary = varnishd()
    site = tmp_path / "vcl"
    site.mkdir(exist_ok=True)
    (site / "backends.vcl").write_text(backends_vcl(backend_port, **acl))
    log_path = tmp_path / f"varnish-{port}.log"
    workdir = tmp_path / f"varnish-work-{port}"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                binary,
                "-F",
                "-j",
                "none",
                "-n",
                str(workdir),
                "-a",
                f"127.0.0.1:{port}",
                "-T",
                "none",
                "-f",
                str(VCL_DIR / "default.vcl"),
                "-p",
                f"vcl_path={site}:{VCL_DIR}",
                "-s",
                "malloc,32m",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = Varnish(port, log_path, workdir)
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, server.output()
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    assert time.monotonic() < deadline, "varnishd did not start\n" + server.output()
                    time.sleep(0.05)
            yield server
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

"""A real varnishd with deploy/varnish/default.vcl, on a free loopback port, for the tests.

Only backends.vcl (the site-specific part) is written per test: the VCL under test is the
shipped one. Without varnishd the tests skip, except under CI (CI=true), where they fail.
"""

import os
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from .servers import ROOT, stop, wait_for_port

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
    """backends.vcl as deploy/varnish/backends.vcl has it for one instance, probed often so a
    test sees the app (or its database) go down within a second or two."""
    acl = "\n".join(f'    "{address}";' for address in purgers)
    probe = ".interval = 0.5s; .timeout = 1s; .window = 3; .threshold = 2; .initial = 2;"
    backend = f'.host = "127.0.0.1"; .port = "{backend_port}";'
    return f"""vcl 4.1;
import directors;
import std;
probe alive {{ .url = "/robots.txt"; {probe} }}
probe ready {{ .url = "/healthz"; {probe} }}
backend app {{ {backend} .probe = alive; .connect_timeout = 1s; .first_byte_timeout = 10s; }}
backend app_ready {{ {backend} .probe = ready; }}
sub vcl_init {{
    new instances = directors.round_robin();
    instances.add_backend(app);
    new ready_watch = directors.round_robin();
    ready_watch.add_backend(app_ready);
}}
sub vcl_recv {{
    set req.backend_hint = instances.backend();
    if (!std.healthy(ready_watch.backend())) {{
        set req.http.X-Newsroom-App-Down = "1";
    }}
}}
acl purgers {{
{acl}
}}
"""


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
            wait_for_port(process, port, "varnishd", server.output)
            yield server
        finally:
            stop(process)

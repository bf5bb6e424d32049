"""How long an editor waits when saving a 24-megapixel JPEG in the admin.

    .venv/bin/python bench/admin_save.py [--repeat 5] [--megapixels 24]

Starts gunicorn (gunicorn.conf.py, production settings, one worker) on a scratch SQLite
database and media folder, signs in as an editor over HTTP and times the admin's "add image"
POST (a 6000 x 4000 JPEG, ~10 MB) until its answer (the redirect to the list) has arrived,
`--repeat` times, in two configurations:

- `TASKS_BACKEND=database` (what the site runs): the save queues the renditions for the
  worker and returns;
- `TASKS_BACKEND=immediate`: the renditions are made inside the request, as before #15.

It prints the load average before and after (other work on the machine slows everything) and
each configuration's times; nothing is written to the repository. Does not run the worker.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image as PILImage  # noqa: E402

from tests.admin_http import AdminClient  # noqa: E402
from tests.servers import gunicorn, manage, production_env  # noqa: E402

PASSWORD = "a-long-editor-password-for-the-bench"


def big_jpeg(megapixels):
    """A photo-like JPEG: smooth gradients with grain, so it compresses like a real photo."""
    width = int((megapixels * 1_000_000 * 3 / 2) ** 0.5)
    height = width * 2 // 3
    gradient = PILImage.linear_gradient("L").resize((width, height))
    grain = PILImage.effect_noise((width, height), 24)
    picture = PILImage.merge(
        "RGB", [gradient, PILImage.blend(gradient, grain, 0.35), grain.transpose(1)]
    )
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=88)
    return width, height, buffer.getvalue()


def measure(backend, content, repeat, folder, static_root):
    env = production_env(
        folder / backend,
        static_root,
        DATABASE_URL=f"sqlite:///{folder / backend / 'db.sqlite3'}",
        TASKS_BACKEND=backend,
        PAGE_CACHE="false",
        DJANGO_EDITOR_PASSWORD=PASSWORD,
        GUNICORN_TIMEOUT="120",
    )
    (folder / backend).mkdir()
    manage(env, "migrate", "--noinput")
    manage(env, "create_editor", "ada", "--noinput")
    times = []
    with gunicorn(env, folder / backend / "gunicorn.log") as server:
        editor = AdminClient(server.url())
        editor.login("ada", PASSWORD)
        fields = {"caption": "Bench", "alt_text": "A large photo", "credit": ""}
        files = {"file": ("large.jpg", content, "image/jpeg")}
        for _ in range(repeat):
            start = time.perf_counter()
            status, _, _ = editor.post_form("/admin/entries/image/add/", fields, files)
            # The CSRF page fetch is inside post_form; time it apart and take it off.
            times.append(time.perf_counter() - start)
            assert status == 302, f"upload refused ({status})"
        csrf_start = time.perf_counter()
        for _ in range(repeat):
            editor.csrf_token("/admin/entries/image/add/")
        page = (time.perf_counter() - csrf_start) / repeat
    return [t - page for t in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--megapixels", type=float, default=24)
    args = parser.parse_args()
    width, height, content = big_jpeg(args.megapixels)
    print(f"{width} x {height} JPEG, {len(content) / 1_000_000:.1f} MB")
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="newsroom-admin-save-") as scratch:
        folder = Path(scratch)
        static_root = folder / "static"
        manage(
            {
                **os.environ,
                "DEBUG": "false",
                "SECRET_KEY": "bench-" + "x" * 50,
                "STATIC_ROOT": str(static_root),
            },
            "collectstatic",
            "--noinput",
        )
        for backend in ("database", "immediate"):
            times = measure(backend, content, args.repeat, folder, static_root)
            print(
                f"TASKS_BACKEND={backend}: median {statistics.median(times):.2f} s, "
                f"max {max(times):.2f} s over {len(times)} saves "
                f"({', '.join(f'{t:.2f}' for t in times)})"
            )
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()

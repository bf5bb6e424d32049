"""Two gunicorn instances that share no disk: each has its own MEDIA_ROOT, both share
PostgreSQL, Redis and a bucket on a real S3 API server (moto's). A photo uploaded through one
is served to readers of the other, a replace through the other removes the old objects, and
the task worker of either instance makes the renditions.

Scratch database and Redis keys as in tests/test_two_instances.py (never FLUSHDB).
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from .admin_http import AdminClient
from .factories import image_bytes
from .s3 import s3_env
from .servers import ROOT, get, gunicorn, manage, production_env
from .test_two_instances import POSTGRES_URL, REDIS_URL, delete_keys

PASSWORD = "a-long-editor-password-for-two-instances"


@pytest.fixture
def shared(tmp_path, collected_static, s3_server):
    """(env of A, env of B): one PostgreSQL database, one Redis prefix, one bucket."""
    psycopg = pytest.importorskip("psycopg")
    server_url, name = POSTGRES_URL.rsplit("/", 1)
    name = f"{name}_media_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(f"{server_url}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is needed at {server_url} (.ci/run starts it): {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    prefix = f"two-instances-media-{secrets.token_hex(4)}"
    bucket = s3_server.new_bucket()
    common = {
        "DATABASE_URL": f"{server_url}/{name}",
        "CACHE_URL": f"{REDIS_URL}?key_prefix={prefix}",
        "PAGE_CACHE": "true",
        "TASKS_BACKEND": "database",
        "DJANGO_EDITOR_PASSWORD": PASSWORD,
        **s3_env(s3_server, bucket),
    }
    envs = [
        production_env(
            tmp_path, collected_static, MEDIA_ROOT=str(tmp_path / f"media-{x}"), **common
        )
        for x in "ab"
    ]
    manage(envs[0], "migrate", "--noinput")
    manage(envs[0], "create_editor", "ada", "--noinput")
    try:
        yield envs, bucket
    finally:
        with psycopg.connect(f"{server_url}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        delete_keys(prefix)


@contextmanager
def task_worker(env, log_path):
    """`manage.py db_worker` of one instance, stopped afterwards."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for(check, timeout=90):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)
    return result


def page_with(url, text):
    html = get(url)[2]
    return html if text in html else ""


def keys_once(s3_server, bucket, gone, count):
    keys = s3_server.keys(bucket)
    return keys if len(keys) == count and not set(keys) & set(gone) else []


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def image_form(filename, content):
    fields = {"caption": "Harbour at dawn", "alt_text": "Boats in a harbour", "credit": ""}
    return fields, {"file": (filename, content, "image/jpeg")}


def test_instances_without_a_shared_disk_share_photos_through_the_bucket(
    shared, tmp_path, s3_server
):
    (env_a, env_b), bucket = shared
    photo = image_bytes(1400, 900, color=(10, 120, 200))
    with gunicorn(env_a, tmp_path / "a.log") as a, gunicorn(env_b, tmp_path / "b.log") as b:
        editor_a = AdminClient(a.url())
        editor_a.login("ada", PASSWORD)
        fields, files = image_form("harbour.jpg", photo)
        status, _, _ = editor_a.post_form("/admin/entries/image/add/", fields, files)
        assert status == 302, "the upload through A was refused"
        manage(
            env_a,
            "shell",
            "-c",
            "from entries.models import Entry, Image; "
            "Entry.objects.create(headline='Photo from instance A', slug='photo-a', "
            "summary='Uploaded through A.', status='published', image=Image.objects.get())",
        )

        # B's readers see the entry, and the original (no renditions yet: no worker runs).
        html = get(b.url("/"))[2]
        assert "Photo from instance A" in html
        original = re.search(r'href="([^"]+)" download>', get(b.url("/entries/photo-a/"))[2])[1]
        assert original.startswith(f"{s3_server.endpoint}/{bucket}/images/")
        assert f'src="{original}"' in html
        assert fetch(original) == (200, photo)
        first_keys = s3_server.keys(bucket)
        assert len(first_keys) == 1

        # B's worker makes the renditions of the photo uploaded through A.
        with task_worker(env_b, tmp_path / "worker-b.log"):
            html = wait_for(lambda: page_with(b.url("/"), "<picture>"))
        sources = re.findall(r'(?:src|srcset)="([^" ]+)', html)
        renditions = [url for url in sources if "/renditions/" in url]
        assert renditions and all(fetch(url)[0] == 200 for url in renditions)
        assert "<picture>" in get(a.url("/"))[2]  # A's readers too (shared cache, bucket)
        with_renditions = s3_server.keys(bucket)
        assert len(with_renditions) == 7  # the original and 3 widths in 2 formats

        # A replace through B removes the photo's old objects; A's worker makes the new ones.
        editor_b = AdminClient(b.url())
        editor_b.login("ada", PASSWORD)
        image_id = manage(
            env_b,
            "shell",
            "--no-imports",
            "-c",
            "from entries.models import Image; print(Image.objects.get().pk)",
        ).strip()
        new_photo = image_bytes(1000, 800, color=(200, 40, 40))
        fields, files = image_form("harbour-at-noon.jpg", new_photo)
        status, _, _ = editor_b.post_form(f"/admin/entries/image/{image_id}/change/", fields, files)
        assert status == 302, "the replace through B was refused"
        with task_worker(env_a, tmp_path / "worker-a.log"):
            # The new original, its 6 renditions, and nothing of the old photo.
            keys = wait_for(lambda: keys_once(s3_server, bucket, with_renditions, count=7))
        new_original = re.search(r'href="([^"]+)" download>', get(a.url("/entries/photo-a/"))[2])[1]
        assert fetch(new_original) == (200, new_photo)
        assert sum(key.startswith("images/") for key in keys) == 1
        assert "harbour-at-noon-1000w.webp" in " ".join(keys)

    # Neither instance wrote a file to its own disk.
    for env in (env_a, env_b):
        media = Path(env["MEDIA_ROOT"])
        assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))

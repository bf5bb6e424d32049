"""Renditions are made by a background task queued after the image's row commits: the admin
save only queues it; failures are retried, recorded on the image and shown in the admin; a
real worker beside gunicorn makes them (`make run`'s `newsroom.serve`)."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from entries import tasks
from entries.models import Image, RenditionStatus
from entries.renditions import make_renditions

from .factories import image_bytes, make_editor, make_entry, make_image
from .servers import ROOT, free_port, get, manage, production_env

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def add(client, name="harbour.jpg", width=900, height=600):
    return client.post(
        "/admin/entries/image/add/",
        {
            "file": SimpleUploadedFile(name, image_bytes(width, height)),
            "caption": "A caption",
            "alt_text": "A description",
        },
    )


def run_worker_once():
    """django-tasks-db's worker in this process until the queue is empty (it installs its
    own SIGINT/SIGTERM handlers; pytest's are put back)."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("db_worker", batch=True, verbosity=0)
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


@pytest.mark.django_db(transaction=True)
def test_the_admin_save_only_queues_the_renditions_and_a_worker_makes_them(
    editor_client, settings, client
):
    settings.TASKS = DATABASE_TASKS
    assert add(editor_client).status_code == 302
    image = Image.objects.get()
    assert image.renditions.count() == 0
    assert image.rendition_status == RenditionStatus.PENDING
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "entries.tasks.make_image_renditions"
    assert queued.args_kwargs["args"] == [image.pk, image.file.name]

    # Until the worker has run, pages show the original.
    make_entry(image=image)
    assert f'src="{image.url}"' in client.get("/").text

    run_worker_once()
    image.refresh_from_db()
    assert image.rendition_status == RenditionStatus.READY
    assert image.renditions.count() == 6
    assert "<picture>" in client.get("/").text


@pytest.mark.django_db(transaction=True)
def test_the_task_commits_with_the_image_or_not_at_all(settings):
    settings.TASKS = DATABASE_TASKS

    class Failure(Exception):
        pass

    with pytest.raises(Failure), transaction.atomic():
        make_image("rolled-back.jpg")
        raise Failure
    assert not Image.objects.exists()
    assert not DBTaskResult.objects.exists()
    image = make_image("kept.jpg")
    assert DBTaskResult.objects.get().args_kwargs["args"] == [image.pk, image.file.name]


@pytest.mark.django_db
def test_a_caption_edit_queues_nothing(settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image(width=400, height=300)
    settings.TASKS = DATABASE_TASKS
    with django_capture_on_commit_callbacks(execute=True):
        image.caption = "Another caption"
        image.save()
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db
def test_a_failed_attempt_is_retried_and_recorded_until_it_succeeds(
    monkeypatch, django_capture_on_commit_callbacks
):
    failures = iter([OSError("bucket unreachable"), OSError("bucket unreachable")])

    def flaky(image):
        error = next(failures, None)
        if error:
            raise error
        return make_renditions(image)

    monkeypatch.setattr(tasks, "make_renditions", flaky)
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image(width=400, height=300)
    image.refresh_from_db()
    # The immediate backend cannot defer, so the retries ran at once.
    assert image.rendition_status == RenditionStatus.READY
    assert image.rendition_attempts == 3
    assert image.rendition_error == ""
    assert image.renditions.count() == 4


@pytest.mark.django_db
def test_a_task_that_keeps_failing_gives_up_and_the_admin_shows_why(
    monkeypatch, editor_client, django_capture_on_commit_callbacks
):
    def broken(image):
        raise ValueError("cannot decode this file")

    monkeypatch.setattr(tasks, "make_renditions", broken)
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image("broken.jpg", width=400, height=300)
        make_image("fine.jpg")  # fails too, but is filtered out below by its name
    image.refresh_from_db()
    assert image.rendition_status == RenditionStatus.FAILED
    assert image.rendition_attempts == tasks.MAX_ATTEMPTS
    assert "ValueError: cannot decode this file" in image.rendition_error

    failed = editor_client.get("/admin/entries/image/?rendition_status=failed&q=broken")
    assert failed.status_code == 200
    assert "broken.jpg" in failed.text and "fine.jpg" not in failed.text
    page = editor_client.get(f"/admin/entries/image/{image.pk}/change/")
    assert "Failed after 4 attempt(s). Last error: Attempt 4 of 4: ValueError" in page.text


@pytest.mark.django_db
def test_with_the_database_queue_a_retry_waits(monkeypatch, settings):
    settings.TASKS = DATABASE_TASKS
    image = make_image(width=400, height=300)
    DBTaskResult.objects.all().delete()
    monkeypatch.setattr(tasks, "make_renditions", lambda image: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        tasks.make_image_renditions.call(image.pk, image.file.name)
    retry = DBTaskResult.objects.get()
    assert retry.run_after >= timezone.now() + timedelta(seconds=25)
    image.refresh_from_db()
    assert (image.rendition_status, image.rendition_attempts) == (RenditionStatus.PENDING, 1)


@pytest.mark.django_db
def test_a_task_for_a_replaced_file_does_nothing():
    image = make_image(width=400, height=300)
    old_name = image.file.name
    image.renditions.all().delete()
    image.file = SimpleUploadedFile("new.jpg", image_bytes(500, 300))
    image.save()
    image.renditions.all().delete()
    assert tasks.make_image_renditions.call(image.pk, old_name) == "superseded"
    assert image.renditions.count() == 0


def wait_for(check, timeout=60):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.25)


def process_group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_runs_a_real_worker_beside_gunicorn_and_stops_both(tmp_path, collected_static):
    """`newsroom.serve` (what `make run` execs): an image saved by another process gets its
    renditions from the worker, the site shows them, and SIGTERM stops everything."""
    port = free_port()
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        TASKS_BACKEND="database",
        SERVE_MEDIA="true",
        PAGE_CACHE="false",
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    manage(env, "migrate", "--noinput")
    log = open(tmp_path / "serve.log", "w")  # closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "newsroom.serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for(lambda: _up(port) and get(f"http://127.0.0.1:{port}/healthz")[0] == 200)
        manage(
            env,
            "shell",
            "-c",
            "from django.core.files.uploadedfile import SimpleUploadedFile; "
            "from tests.factories import image_bytes, make_entry; "
            "from entries.models import Image; "
            "image = Image.objects.create(file=SimpleUploadedFile('w.jpg', "
            "image_bytes(900, 600)), alt_text='a'); make_entry(image=image)",
        )

        def rendered():
            html = get(f"http://127.0.0.1:{port}/")[2]
            return "<picture>" in html

        wait_for(rendered)
        html = get(f"http://127.0.0.1:{port}/")[2]
        assert "/media/renditions/" in html
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        finally:
            log.close()
    assert process.returncode == 0, (tmp_path / "serve.log").read_text()
    # gunicorn (and its workers) and the task worker are gone with it.
    wait_for(lambda: not process_group_alive(process.pid), timeout=10)


def _up(port):
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False

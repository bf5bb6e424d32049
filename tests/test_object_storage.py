"""Photos on an S3-compatible bucket (moto's real S3 API server on loopback): objects with the
right headers, URLs without storage calls, files that follow the transaction, and nothing on
the local disk."""

import os
import re
import subprocess
import sys
import urllib.request

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from storages.backends.s3 import S3Storage

from entries.admin import ImageAdmin
from entries.models import Image
from entries.renditions import make_renditions

from . import storages
from .factories import image_bytes, make_editor, make_entry, make_image
from .test_settings import PRODUCTION, ROOT, run_django

pytestmark = pytest.mark.django_db

LONG_CACHE = "public, max-age=31536000, immutable"


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def add(client, name, content, content_type="image/jpeg"):
    return client.post(
        "/admin/entries/image/add/",
        {
            "file": SimpleUploadedFile(name, content, content_type=content_type),
            "caption": "A caption",
            "alt_text": "A description",
        },
    )


def change(client, image, name, content):
    return client.post(
        f"/admin/entries/image/{image.pk}/change/",
        {
            "file": SimpleUploadedFile(name, content, content_type="image/png"),
            "caption": image.caption,
            "alt_text": image.alt_text,
        },
    )


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers, response.read()


def test_an_upload_goes_to_the_bucket_with_long_caching_and_its_type_and_not_to_disk(
    s3_media, editor_client, settings, django_capture_on_commit_callbacks
):
    content = image_bytes(800, 600)
    with django_capture_on_commit_callbacks(execute=True):
        assert add(editor_client, "harbour.jpg", content).status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height, image.file_size) == (800, 600, len(content))
    head = s3_media.client().head_object(Bucket=s3_media.bucket, Key=image.file.name)
    assert head["ContentType"] == "image/jpeg"
    assert head["CacheControl"] == LONG_CACHE
    assert s3_media.objects(s3_media.bucket)[image.file.name] == content
    # The renditions went to the bucket too, typed by format.
    renditions = list(image.renditions.all())
    assert len(renditions) == 6  # 320, 640 and 800 px wide
    for rendition in renditions:
        head = s3_media.client().head_object(Bucket=s3_media.bucket, Key=rendition.file.name)
        assert head["ContentType"] == f"image/{rendition.format}"
        assert head["CacheControl"] == LONG_CACHE
    assert not settings.MEDIA_ROOT.exists() or not any(settings.MEDIA_ROOT.rglob("*"))


def test_the_public_url_is_the_buckets_and_answers_with_the_same_bytes(s3_media):
    content = image_bytes(300, 200)
    image = Image.objects.create(
        file=SimpleUploadedFile("quay.jpg", content), caption="c", alt_text="a"
    )
    assert image.url == f"{s3_media.endpoint}/{s3_media.bucket}/{image.file.name}"
    assert image.url == default_storage.url(image.file.name)
    status, headers, body = fetch(image.url)
    assert (status, body) == (200, content)
    assert headers["Cache-Control"] == LONG_CACHE


def test_names_never_collide_and_saving_asks_the_bucket_nothing_first(s3_media, monkeypatch):
    def no_exists(self, name):
        raise AssertionError(f"exists({name!r}) called on save")

    monkeypatch.setattr(S3Storage, "exists", no_exists)
    first = make_image("same.jpg")
    second = make_image("same.jpg")
    assert first.file.name != second.file.name
    assert first.file_name == second.file_name == "same.jpg"
    assert sorted(s3_media.keys(s3_media.bucket)) == sorted([first.file.name, second.file.name])


def test_an_upload_is_one_put_and_never_read_back(s3_media, editor_client, settings):
    # Renditions (which do read the original) are the worker's: not queued here.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    sent = count_requests(default_storage)
    assert add(editor_client, "once.jpg", image_bytes(300, 200)).status_code == 302
    image = Image.objects.get()
    assert sent == [("PUT", f"{s3_media.endpoint}/{s3_media.bucket}/{image.file.name}")]


def test_editing_the_caption_asks_the_bucket_nothing(s3_media, monkeypatch):
    image = make_image("still.jpg")

    def no_call(self, *args, **kwargs):
        raise AssertionError("storage called on a caption edit")

    for method in ("size", "exists", "open", "url"):
        monkeypatch.setattr(S3Storage, method, no_call)
    image = Image.objects.get(pk=image.pk)
    image.caption = "A new caption"
    image.save()
    assert Image.objects.get(pk=image.pk).caption == "A new caption"


def test_replacing_a_file_removes_its_objects_and_renditions_after_the_commit(
    s3_media, editor_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image("old.jpg", width=700, height=500)
    old = {image.file.name, *image.renditions.values_list("file", flat=True)}
    assert old <= set(s3_media.keys(s3_media.bucket))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = change(editor_client, image, "new.png", image_bytes(400, 300, fmt="PNG"))
    assert response.status_code == 302
    # Not yet committed: the old objects are still there for a rollback.
    assert old <= set(s3_media.keys(s3_media.bucket))
    with django_capture_on_commit_callbacks(execute=True):  # and what they schedule
        for callback in callbacks:
            callback()
    image.refresh_from_db()
    keys = set(s3_media.keys(s3_media.bucket))
    assert not old & keys
    assert image.file.name in keys
    assert set(image.renditions.values_list("file", flat=True)) <= keys


def test_deleting_an_image_removes_its_objects_after_the_commit(
    s3_media, editor_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = make_image("gone.jpg", width=700, height=500)
    assert len(s3_media.keys(s3_media.bucket)) == 7  # the original, 6 renditions
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(f"/admin/entries/image/{image.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert s3_media.keys(s3_media.bucket) == []


class Failure(Exception):
    pass


def test_a_failed_save_leaves_no_object_behind(s3_media, editor_client, monkeypatch):
    image = make_image("kept.jpg")
    before = s3_media.objects(s3_media.bucket)

    def fail(*args, **kwargs):
        raise Failure("after the new file was written")

    monkeypatch.setattr(ImageAdmin, "log_change", fail)
    monkeypatch.setattr(ImageAdmin, "log_addition", fail)
    with pytest.raises(Failure):
        change(editor_client, image, "new.png", image_bytes(300, 200, fmt="PNG"))
    with pytest.raises(Failure):
        add(editor_client, "added.jpg", image_bytes())
    assert s3_media.objects(s3_media.bucket) == before
    assert Image.objects.get().file.name == image.file.name


def count_requests(storage):
    """A list that grows by (method, URL) for every HTTP request botocore sends."""
    sent = []
    storage.connection.meta.client.meta.events.register(
        "before-send",
        lambda **kwargs: sent.append((kwargs["request"].method, kwargs["request"].url)),
    )
    return sent


@override_settings(ENTRIES_PER_PAGE=10)
def test_a_listing_and_an_entry_page_make_no_storage_call_and_no_request(
    s3_media, client, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.storages.CountingS3Storage"},
    }
    for n in range(12):
        image = make_image(f"p{n}.jpg", width=700, height=500)
        make_renditions(image)
        make_entry(image=image)
    sent = count_requests(default_storage)
    storages.calls.clear()
    response = client.get("/")
    entry = response.context["entry_list"][0]
    page = client.get(entry.get_absolute_url())
    feed = client.get("/feeds/entries.rss")
    assert response.status_code == page.status_code == feed.status_code == 200
    assert response.text.count("<picture>") == 10
    assert storages.calls == []
    assert sent == []
    # Every photo on the page is the bucket's, and answers.
    srcs = [src for src in re.findall(r'src="([^"]+)"', response.text) if "/renditions/" in src]
    assert len(srcs) == 10
    assert all(src.startswith(f"{s3_media.endpoint}/{s3_media.bucket}/") for src in srcs)
    assert fetch(srcs[0])[0] == 200
    assert f'content="{entry.image.url}"' in page.text  # og:image, already absolute


@override_settings(ENTRIES_PER_PAGE=10)
def test_a_listing_on_disk_makes_no_storage_call(client, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.storages.CountingFileSystemStorage"},
    }
    for n in range(12):
        image = make_image(f"d{n}.jpg", width=700, height=500)
        make_renditions(image)
        make_entry(image=image)
    storages.calls.clear()
    response = client.get("/")
    page = client.get(response.context["entry_list"][0].get_absolute_url())
    assert response.status_code == page.status_code == 200
    assert response.text.count("<picture>") == 10
    assert storages.calls == []


def print_settings(names, **env):
    """Settings of a fresh process with `env`; CSP_IMAGES is the CSP's img-src as strings."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "settings.CSP_IMAGES = [str(s) for s in settings.SECURE_CSP['img-src']]; "
        f"print(repr([getattr(settings, n, None) for n in {names!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return eval(result.stdout)  # our own repr of plain values


def test_media_storage_s3_settings_come_from_the_environment():
    media_url, storage, csp, overwrite, parameters = print_settings(
        [
            "MEDIA_URL",
            "STORAGES",
            "CSP_IMAGES",
            "AWS_S3_FILE_OVERWRITE",
            "AWS_S3_OBJECT_PARAMETERS",
        ],
        MEDIA_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="photos",
        AWS_S3_CUSTOM_DOMAIN="cdn.example.org",
    )
    assert media_url == "https://cdn.example.org/"
    assert storage["default"]["BACKEND"] == "newsroom.s3storage.MediaS3Storage"
    assert "https://cdn.example.org/" in csp
    assert overwrite is True
    assert parameters == {"CacheControl": LONG_CACHE}
    media_url, csp = print_settings(
        ["MEDIA_URL", "CSP_IMAGES"],
        MEDIA_STORAGE="s3",
        AWS_STORAGE_BUCKET_NAME="photos",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
    )
    assert media_url == "http://127.0.0.1:9000/photos/"
    assert csp[-1] == "http://127.0.0.1:9000/photos/"
    # The disk stays the default: nothing new to set for `make run`.
    media_url, storage = print_settings(["MEDIA_URL", "STORAGES"], MEDIA_STORAGE="")
    assert storage["default"]["BACKEND"] == "newsroom.storage.MediaFileSystemStorage"


def test_media_storage_s3_without_a_bucket_fails_clearly():
    result = run_django(MEDIA_STORAGE="s3", AWS_STORAGE_BUCKET_NAME="")
    assert result.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME" in result.stderr
    result = run_django(MEDIA_STORAGE="nfs")
    assert "MEDIA_STORAGE must be" in result.stderr


def test_check_deploy_is_clean_with_media_on_s3():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            **PRODUCTION,
            "DJANGO_ALLOW_ASYNC_UNSAFE": "",
            "MEDIA_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "photos",
            "AWS_S3_CUSTOM_DOMAIN": "cdn.example.org",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr

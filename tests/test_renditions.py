"""Responsive renditions: made once, stored, reused, stripped of EXIF; pages read rows only."""

import io
import re
from unittest import mock

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import ExifTags
from PIL import Image as PILImage

from entries.models import Image, Rendition
from entries.renditions import make_missing_renditions, make_renditions

from .factories import image_bytes, make_entry, make_image

pytestmark = pytest.mark.django_db


def jpeg_with_gps(width=800, height=600):
    picture = PILImage.new("RGB", (width, height), (200, 120, 40))
    exif = picture.getexif()
    exif[ExifTags.Base.Make] = "SpyCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (50.0, 50.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 21.0, 10.0)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def upload(name, data):
    return Image.objects.create(
        file=SimpleUploadedFile(name, data, content_type="image/jpeg"), alt_text="A photo"
    )


def test_renditions_are_made_after_the_upload_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = upload("wide.jpg", image_bytes(1600, 900))
    made = {(r.format, r.width, r.height) for r in image.renditions.all()}
    assert made == {
        (fmt, width, height)
        for fmt in ("webp", "jpeg")
        for width, height in [(320, 180), (640, 360), (1280, 720)]
    }
    for rendition in image.renditions.all():
        with rendition.file.open("rb") as handle, PILImage.open(handle) as picture:
            assert picture.format == rendition.format.upper()
            assert picture.size == (rendition.width, rendition.height)


@pytest.mark.parametrize(("width", "expected"), [(500, [320, 500]), (640, [320, 640]), (64, [64])])
def test_small_images_get_renditions_no_wider_than_themselves(width, expected):
    image = make_image(width=width, height=100)
    make_renditions(image)
    assert sorted(image.renditions.filter(format="jpeg").values_list("width", flat=True)) == (
        expected
    )


def test_renditions_are_made_once_and_reused():
    image = make_image(width=700, height=400)
    assert make_renditions(image) == 6
    names = set(image.renditions.values_list("file", flat=True))
    assert make_renditions(image) == 0
    assert make_missing_renditions() == 0
    assert set(image.renditions.values_list("file", flat=True)) == names


def test_a_new_file_replaces_the_renditions_and_their_files(django_capture_on_commit_callbacks):
    image = make_image(width=700, height=400)
    make_renditions(image)
    old = list(image.renditions.all())
    storage = old[0].file.storage
    with django_capture_on_commit_callbacks(execute=True):
        image.file = SimpleUploadedFile("new.jpg", image_bytes(400, 300))
        image.save()
    new = list(image.renditions.all())
    assert {r.width for r in new} == {320, 400}
    assert all(r.source == image.file.name for r in new)
    assert not any(storage.exists(r.file.name) for r in old)


def test_renditions_drop_exif_and_gps():
    # The stored original keeps its kept fields (tests/test_photo_privacy.py); renditions none.
    data = jpeg_with_gps()
    with PILImage.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the test photo has GPS
    image = upload("gps.jpg", data)
    make_renditions(image)
    for rendition in image.renditions.all():
        raw = rendition.file.read()
        with PILImage.open(io.BytesIO(raw)) as picture:
            assert not picture.getexif()
            assert "exif" not in picture.info
        assert b"Exif" not in raw and b"SpyCam" not in raw


def test_listing_uses_picture_with_webp_jpeg_srcset_and_lazy_loading(client):
    images = [make_image(f"p{n}.jpg", width=1500, height=1000) for n in range(3)]
    for n, image in enumerate(images):
        make_renditions(image)
        make_entry(image=image, headline=f"Entry {n}")
    html = client.get("/").text
    pictures = re.findall(r"<picture>.*?</picture>", html, re.S)
    assert len(pictures) == 3
    for n, picture in enumerate(pictures):
        assert re.search(
            r'<source type="image/webp" srcset="[^"]+320w, [^"]+640w, [^"]+1280w"', picture
        )
        assert re.search(
            r'<img src="[^"]+-640w\.jpeg" srcset="[^"]+320w, [^"]+640w, [^"]+1280w"', picture
        )
        # A thumbnail beside the text on wide screens, the column width on phones.
        assert (
            'sizes="(min-width: 48rem) min(10.5rem, 1500px), min(calc(100vw - 2rem), 1500px)"'
            in picture
        )
        assert 'width="1500" height="1000"' in picture
        assert ('loading="lazy"' in picture) == (n > 0)  # the first entry loads at once


def test_images_without_renditions_fall_back_to_the_original(client):
    image = make_image("plain.jpg")
    make_entry(image=image)
    html = client.get("/").text
    assert f'<img src="{image.file.url}"' in html
    assert "<picture>" not in html


STORAGE_METHODS = ["open", "exists", "size", "path", "listdir", "get_modified_time", "save"]


@override_settings(ENTRIES_PER_PAGE=10)
def test_rendering_a_listing_touches_no_file(client):
    for n in range(12):
        image = make_image(f"f{n}.jpg", width=700, height=500)
        make_renditions(image)
        make_entry(image=image)
    patches = [
        mock.patch.object(
            FileSystemStorage, name, autospec=True, side_effect=getattr(FileSystemStorage, name)
        )
        for name in STORAGE_METHODS
    ]
    mocks = [p.start() for p in patches]
    try:
        with mock.patch.object(PILImage, "open", side_effect=PILImage.open) as pil_open:
            response = client.get("/")
            entry_page = client.get(response.context["entry_list"][0].get_absolute_url())
    finally:
        for p in patches:
            p.stop()
    assert response.status_code == entry_page.status_code == 200
    assert response.text.count("<picture>") == 10
    calls = {name: m.call_count for name, m in zip(STORAGE_METHODS, mocks, strict=True)}
    assert calls == dict.fromkeys(STORAGE_METHODS, 0)
    assert pil_open.call_count == 0


@pytest.mark.parametrize("per_page", [10, 50])
def test_listing_with_renditions_runs_a_fixed_number_of_queries(
    client, django_assert_num_queries, per_page
):
    for n in range(per_page + 2):
        image = make_image(f"q{n}.jpg", width=400, height=300)
        make_renditions(image)
        make_entry(image=image)
    with override_settings(ENTRIES_PER_PAGE=per_page):
        # The content version (the next scheduled entry); the page with its images and their
        # renditions' list, and the COUNT; the filter's topics (all kept until the content
        # changes).
        with django_assert_num_queries(3):
            response = client.get("/")
    assert response.text.count("<picture>") == per_page
    assert Rendition.objects.count() == (per_page + 2) * 4


def rendition_urls(html):
    return set(re.findall(r"/media/renditions/[^\s\"]+", html))


def test_the_image_row_keeps_the_list_of_its_renditions():
    image = make_image(width=700, height=400)
    make_renditions(image)
    image.refresh_from_db()
    rows = image.renditions.order_by("format", "width")
    assert image.rendition_sources == {
        "source": image.file.name,
        "renditions": [[r.format, r.width, r.height, r.file.name] for r in rows],
    }
    shown = image.renditions_by_format()
    assert [(s.width, s.height, s.url) for s in shown["jpeg"]] == [
        (r.width, r.height, r.file.url) for r in rows.filter(format="jpeg")
    ]


def test_a_replaced_file_shows_the_original_until_its_renditions_are_made(client):
    image = make_image(width=700, height=400)
    make_renditions(image)
    make_entry(image=image)
    assert rendition_urls(client.get("/").text)
    # A new file, committed before its renditions exist: the old ones must not be shown.
    Image.objects.filter(pk=image.pk).update(file="images/other.jpg")
    html = client.get("/").text
    assert not rendition_urls(html)
    assert 'src="/media/images/other.jpg"' in html


def test_deleting_a_rendition_row_updates_the_list_and_the_page(client):
    image = make_image(width=700, height=400)
    make_renditions(image)
    make_entry(image=image)
    gone = image.renditions.get(format="webp", width=640)
    gone_url = gone.file.url
    assert gone_url in rendition_urls(client.get("/").text)
    gone.delete()
    image.refresh_from_db()
    assert len(image.rendition_sources["renditions"]) == 5
    urls = rendition_urls(client.get("/").text)
    assert gone_url not in urls
    assert len(urls) == 5


def test_the_migration_fills_the_list_from_existing_renditions():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("entries.migrations.0006_image_rendition_sources")
    image = make_image(width=700, height=400)
    make_renditions(image)
    image.refresh_from_db()
    made = image.rendition_sources
    Image.objects.update(rendition_sources={})
    migration.copy_rendition_rows(apps, None)
    image.refresh_from_db()
    assert image.rendition_sources == made != {}


def test_a_rendition_row_saved_anywhere_joins_the_list():
    image = make_image(width=700, height=400)
    rendition = Rendition(image=image, format="jpeg", width=320, height=183, source=image.file.name)
    rendition.file.save("by-hand-320w.jpeg", io.BytesIO(image_bytes(320, 183)), save=False)
    rendition.save()
    image.refresh_from_db()
    assert image.rendition_sources["renditions"] == [["jpeg", 320, 183, rendition.file.name]]
    assert [s.url for s in image.renditions_by_format()["jpeg"]] == [rendition.file.url]

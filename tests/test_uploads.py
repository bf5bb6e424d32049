"""What the image form does with bad files: a message on the file field, no row, no file.

Each case uploads a real crafted file through the admin's image form, the one upload path.
"""

import io
import os
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from entries.demo import pad_jpeg
from entries.models import Image

from .factories import image_bytes, make_editor, media_files

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/entries/image/add/"


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def upload(client, name, content, **fields):
    data = {"caption": "A caption", "alt_text": "A description", **fields}
    data["file"] = SimpleUploadedFile(name, content, content_type="image/jpeg")
    return client.post(ADD_URL, data)


def file_errors(response):
    assert response.status_code == 200, "a refused upload shows the form again"
    return " ".join(response.context["adminform"].form.errors.get("file", []))


def assert_refused(response, settings, message):
    assert re.search(message, file_errors(response)), file_errors(response)
    assert Image.objects.count() == 0
    assert media_files(settings) == []


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side=20_000):
    """A valid 1-bit PNG of side x side black pixels: ~50 KB on disk, 400 million pixels."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + side // 8)  # filter byte, then the packed bits
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", data)
        + png_chunk(b"IEND", b"")
    )


def corrupt_png():
    """A PNG whose pixel data is not valid zlib, with correct chunk checksums."""
    good = image_bytes(64, 48, fmt="PNG")
    start = good.index(b"IDAT") + 4
    length = struct.unpack(">I", good[start - 8 : start - 4])[0]
    garbage = bytes((b ^ 0x5A) for b in good[start : start + length])
    return (
        good[: start - 8]
        + png_chunk(b"IDAT", garbage)
        + good[start + length + 4 :]  # skip the old CRC
    )


# Accepted files.


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_each_accepted_format_is_stored_with_its_size_and_dimensions(editor_client, fmt):
    content = image_bytes(90, 30, fmt=fmt)
    response = upload(editor_client, f"photo.{fmt.lower()}", content)
    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height, image.file_size) == (90, 30, len(content))


def test_the_real_format_wins_over_the_name(editor_client):
    upload(editor_client, "holiday.jpg", image_bytes(fmt="PNG"))
    image = Image.objects.get()
    assert image.file.name.endswith("/holiday.png")
    assert image.file_name == "holiday.png"
    assert PILImage.open(image.file.path).format == "PNG"


# Refused files: one test per case.


def test_an_empty_file_is_refused(editor_client, settings):
    assert_refused(upload(editor_client, "empty.jpg", b""), settings, "empty")


def test_a_file_over_the_size_limit_is_refused(editor_client, settings):
    settings.MAX_UPLOAD_MB = 1
    # A real, valid JPEG that is just over 1 MB.
    content = pad_jpeg(image_bytes(), 1024 * 1024 + 100)
    assert PILImage.open(io.BytesIO(content)).size == (64, 48)
    assert_refused(upload(editor_client, "big.jpg", content), settings, r"limit is 1 MB")


def test_a_huge_upload_is_not_kept_on_disk_past_the_limit(editor_client, settings):
    settings.MAX_UPLOAD_MB = 1
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # force the temporary-file path
    content = pad_jpeg(image_bytes(), 6 * 1024 * 1024)
    response = upload(editor_client, "huge.jpg", content)
    assert_refused(response, settings, r"The file is 6\.0 MB; the limit is 1 MB")


def test_the_upload_handler_stops_writing_at_the_limit(settings):
    from entries.uploads import SizeLimitedTemporaryFileUploadHandler

    settings.MAX_UPLOAD_MB = 1
    handler = SizeLimitedTemporaryFileUploadHandler()
    handler.new_file("file", "huge.jpg", "image/jpeg", None)
    chunk = b"x" * (256 * 1024)
    received = 0
    for _ in range(12):  # 3 MB
        handler.receive_data_chunk(chunk, received)
        received += len(chunk)
    upload = handler.file_complete(received)
    assert upload.size == 3 * 1024 * 1024
    assert os.path.getsize(upload.temporary_file_path()) <= 1024 * 1024
    upload.close()


def test_the_size_limit_is_inclusive(editor_client, settings):
    settings.MAX_UPLOAD_MB = 1
    upload(editor_client, "just-fits.jpg", pad_jpeg(image_bytes(), 1024 * 1024))
    assert Image.objects.count() == 1


def test_a_decompression_bomb_is_refused_from_its_header(editor_client, settings):
    bomb = png_bomb()
    assert len(bomb) < 100_000
    # Pillow's guard fires when the header is read, before any pixel is decoded.
    with pytest.raises(PILImage.DecompressionBombError):
        PILImage.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS
        PILImage.open(io.BytesIO(bomb))
    response = upload(editor_client, "bomb.png", bomb)
    assert_refused(response, settings, r"400,000,000 pixels; the limit is 50,000,000")


def test_the_pixel_limit_comes_from_settings(editor_client, settings):
    settings.MAX_IMAGE_PIXELS = 100 * 100
    response = upload(editor_client, "wide.jpg", image_bytes(101, 100))
    assert_refused(response, settings, r"10,100 pixels; the limit is 10,000 pixels")


def test_a_truncated_jpeg_is_refused(editor_client, settings):
    whole = image_bytes(200, 150)
    response = upload(editor_client, "cut.jpg", whole[: len(whole) // 2])
    assert_refused(response, settings, "truncated or corrupt")


def test_a_corrupt_png_is_refused(editor_client, settings):
    assert_refused(upload(editor_client, "broken.png", corrupt_png()), settings, "corrupt")


def test_a_text_file_renamed_jpg_is_refused(editor_client, settings):
    response = upload(editor_client, "notes.jpg", b"Meeting notes\nNothing to see.\n" * 20)
    assert_refused(response, settings, "not a JPEG, PNG, WebP or GIF image")


def test_an_html_file_renamed_jpg_is_refused(editor_client, settings):
    page = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    assert_refused(upload(editor_client, "page.jpg", page), settings, "not a JPEG")


def test_an_svg_is_refused(editor_client, settings):
    svg = (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
        b'height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>'
    )
    assert_refused(upload(editor_client, "drawing.svg", svg), settings, "not a JPEG")


def test_an_image_in_another_format_is_refused(editor_client, settings):
    # A perfectly good BMP: Pillow reads it, but it is not one of the four formats.
    assert_refused(upload(editor_client, "scan.bmp", image_bytes(fmt="BMP")), settings, "not a")


def test_a_refused_file_leaves_the_typed_text_in_the_form(editor_client):
    response = upload(editor_client, "notes.jpg", b"text", caption="Keep me")
    assert 'value="Keep me"' in response.text


# Names.


def raw_upload(client, filename, content):
    """A multipart POST built by hand: the test client strips path parts from file names."""
    boundary = "----newsroomtest"
    token = client.get(ADD_URL).cookies["csrftoken"].value
    fields = {"caption": "Odd name", "alt_text": "A description", "csrfmiddlewaretoken": token}
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        for key, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        "\r\nContent-Type: image/jpeg\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.generic(
        "POST",
        ADD_URL,
        b"".join(parts),
        content_type=f"multipart/form-data; boundary={boundary}",
    )


@pytest.mark.parametrize(
    ("sent", "stored", "shown"),
    [
        ("../../../etc/passwd.jpg", "passwd.jpg", "passwd.jpg"),
        ("..\\..\\windows\\evil.jpg", "evil.jpg", "evil.jpg"),
        ("Ministers meet (2).JPG", "Ministers-meet-2.jpg", "Ministers meet (2).JPG"),
        ("Bruxelles été.jpeg", "Bruxelles-ete.jpg", "Bruxelles été.jpeg"),
        ("<img src=x onerror=alert(1)>.jpg", "img-src-x-onerror-alert-1.jpg", None),
        ("photo\u202egpj.exe", "photogpj.jpg", None),
        ("...", "image.jpg", None),
    ],
)
def test_odd_file_names_are_stored_safely(editor_client, settings, sent, stored, shown):
    response = raw_upload(editor_client, sent, image_bytes())
    assert response.status_code == 302
    image = Image.objects.get()
    assert re.fullmatch(r"images/\d{4}/\d{2}/[0-9a-f]{32}/" + re.escape(stored), image.file.name)
    # The reader sees the sent name when it is plain enough, else the stored one.
    assert image.file_name == (shown or stored)
    assert media_files(settings) == [image.file.name]


def test_same_names_do_not_overwrite_each_other(editor_client):
    upload(editor_client, "photo.jpg", image_bytes(color=(255, 0, 0)))
    upload(editor_client, "photo.jpg", image_bytes(color=(0, 255, 0)))
    first, second = Image.objects.order_by("pk")
    assert first.file.name != second.file.name
    assert first.file_name == second.file_name == "photo.jpg"

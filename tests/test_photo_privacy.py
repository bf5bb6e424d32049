"""Photos lose where and with what they were taken when they are stored, and nothing else.

Real files in each accepted format, written by Pillow with a GPS position, a device, XMP, IPTC
and data after the end, go through `without_private_metadata()` and through the admin's image
form; every file the public site then serves (the original behind "Download the original",
og:image, twitter:image, the feeds' enclosures, the renditions) is read back.
"""

import io
import re
import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, ImageCms, IptcImagePlugin
from PIL import Image as PILImage

from entries.demo import demo_images, make_demo_jpeg
from entries.image_metadata import without_private_metadata
from entries.models import Image
from entries.renditions import make_renditions

from .factories import make_editor, make_entry

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/entries/image/add/"
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="50,50.5N" exif:GPSLongitude="4,21.17E" tiff:Model="SpyPhone"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
# Strings that only the private metadata of the test photos contains.
PRIVATE = [b"SpyCam", b"SpyPhone", b"SN-4711", b"GPSLatitude", b"2024:05:01", b"Brussels"]


IPTC = [
    (2, 80, b"Ada Photographer"),  # by-line
    (2, 90, b"Brussels"),  # city
    (2, 25, b"SpyCam keyword"),  # keywords
    (2, 110, b"Newsroom Agency"),  # credit
    (2, 116, b"(c) Newsroom Agency"),  # copyright notice
]


def camera_exif():
    exif = PILImage.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Artist] = "Ada Photographer"
    exif[ExifTags.Base.Copyright] = "(c) Newsroom Agency"
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Model] = "SpyPhone 3"
    exif[ExifTags.Base.DateTime] = "2024:05:01 10:00:00"
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.BodySerialNumber] = "SN-4711"
    details[ExifTags.Base.DateTimeOriginal] = "2024:05:01 09:59:58"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (50.0, 50.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (4.0, 21.0, 10.0)
    return exif


def picture(mode="RGB"):
    pixels = PILImage.linear_gradient("L").resize((96, 64))
    return PILImage.merge("RGB", (pixels, pixels.rotate(90), pixels)).convert(mode)


def jpeg_from_a_phone():
    buffer = io.BytesIO()
    picture().save(buffer, "JPEG", exif=camera_exif(), icc_profile=SRGB, xmp=XMP, quality=90)
    data = buffer.getvalue()
    # A Photoshop block: IPTC with the city and the credits, and a thumbnail resource; then an
    # MPF-style preview after the end of the image.
    iptc = b"".join(
        b"\x1c" + bytes([record, dataset]) + struct.pack(">H", len(value)) + value
        for record, dataset, value in IPTC
    )
    thumbnail = b"SpyCam thumbnail"
    photoshop = b"Photoshop 3.0\x00"
    photoshop += (
        b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc + b"\x00" * (len(iptc) % 2)
    )
    photoshop += b"8BIM\x04\x0c\x00\x00" + struct.pack(">I", len(thumbnail)) + thumbnail
    app13 = b"\xff\xed" + struct.pack(">H", len(photoshop) + 2) + photoshop
    return data[:2] + app13 + data[2:] + b"\xff\xd8 SpyCam preview GPSLatitude \xff\xd9"


def png_from_a_phone():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Ada Photographer")
    info.add_text("Copyright", "(c) Newsroom Agency")
    info.add_text("Software", "SpyCam firmware")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    buffer = io.BytesIO()
    picture().save(buffer, "PNG", exif=camera_exif(), icc_profile=SRGB, pnginfo=info)
    return buffer.getvalue() + b"SpyCam after IEND"


def webp_from_a_phone():
    buffer = io.BytesIO()
    picture().save(buffer, "WEBP", exif=camera_exif(), icc_profile=SRGB, xmp=XMP, lossless=True)
    return buffer.getvalue()


def gif_from_a_phone():
    buffer = io.BytesIO()
    picture("P").save(buffer, "GIF", comment=b"Harbour at dawn", loop=0)
    data = buffer.getvalue()
    xmp = b"\x21\xff\x0bXMP DataXMP" + bytes([len(XMP[:255])]) + XMP[:255] + b"\x00"
    return data[:-1] + xmp + b"\x3b" + b"SpyCam after the trailer"


PHONE_FILES = {
    "JPEG": jpeg_from_a_phone,
    "PNG": png_from_a_phone,
    "WEBP": webp_from_a_phone,
    "GIF": gif_from_a_phone,
}


def pixels(data):
    with PILImage.open(io.BytesIO(data)) as image:
        return image.convert("RGBA").tobytes()


def assert_no_location_or_device(data):
    for marker in PRIVATE:
        assert marker not in data, marker
    with PILImage.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
        assert not exif.get_ifd(ExifTags.IFD.Exif)
        assert ExifTags.Base.Make not in exif and ExifTags.Base.Model not in exif
        assert "xmp" not in image.info and "XML:com.adobe.xmp" not in image.info


@pytest.mark.parametrize("fmt", PHONE_FILES)
def test_location_and_device_go_orientation_profile_and_credit_stay(fmt):
    data = PHONE_FILES[fmt]()
    assert b"SpyCam" in data
    if fmt == "JPEG":
        with PILImage.open(io.BytesIO(data)) as original:
            assert IptcImagePlugin.getiptcinfo(original)[(2, 90)] == b"Brussels"
    cleaned = without_private_metadata(data, fmt)
    assert_no_location_or_device(cleaned)
    assert pixels(cleaned) == pixels(data), "the pixels are not re-encoded"
    assert len(cleaned) < len(data)
    with PILImage.open(io.BytesIO(cleaned)) as image:
        assert image.format == fmt
        if fmt == "GIF":
            assert image.info["comment"] == b"Harbour at dawn"
            assert image.info["loop"] == 0
            return
        assert image.info["icc_profile"] == SRGB
        exif = image.getexif()
        assert exif[ExifTags.Base.Orientation] == 6
        assert exif[ExifTags.Base.Artist] == "Ada Photographer"
        assert exif[ExifTags.Base.Copyright] == "(c) Newsroom Agency"
        if fmt == "JPEG":
            assert IptcImagePlugin.getiptcinfo(image) == {
                (2, 80): b"Ada Photographer",
                (2, 110): b"Newsroom Agency",
                (2, 116): b"(c) Newsroom Agency",
            }
        if fmt == "PNG":
            assert image.info["Author"] == "Ada Photographer"
            assert image.info["Copyright"] == "(c) Newsroom Agency"
            assert "Software" not in image.info


def test_an_artist_written_in_utf8_is_kept_byte_for_byte():
    exif = camera_exif()
    exif[ExifTags.Base.Artist] = "X" * 13
    buffer = io.BytesIO()
    picture().save(buffer, "JPEG", exif=exif)
    # Cameras and photo tools write UTF-8 into the ASCII-typed field.
    data = buffer.getvalue().replace(b"X" * 13, "José Müller".encode())
    cleaned = without_private_metadata(data, "JPEG")
    assert "José Müller".encode() in cleaned
    assert_no_location_or_device(cleaned)


@pytest.mark.parametrize("fmt", PHONE_FILES)
def test_cleaning_twice_changes_nothing_more(fmt):
    once = without_private_metadata(PHONE_FILES[fmt](), fmt)
    assert without_private_metadata(once, fmt) is once


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_a_file_without_private_metadata_is_stored_byte_for_byte(fmt):
    buffer = io.BytesIO()
    picture("P" if fmt == "GIF" else "RGB").save(buffer, fmt)
    data = buffer.getvalue()
    assert without_private_metadata(data, fmt) is data


def test_a_jpeg_whose_blocks_do_not_parse_is_written_anew_without_them():
    data = jpeg_from_a_phone()
    # Bytes between two segments: decoders skip them, a segment walk cannot.
    broken = data[:20] + b"\x00\x00" + data[20:]
    cleaned = without_private_metadata(broken, "JPEG")
    assert_no_location_or_device(cleaned)
    with PILImage.open(io.BytesIO(cleaned)) as image:
        image.load()
        assert image.size == (96, 64)
        assert image.getexif()[ExifTags.Base.Orientation] == 6


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def upload(client, name, content):
    response = client.post(
        ADD_URL,
        {
            "caption": "Harbour",
            "alt_text": "Cranes at the harbour",
            "file": SimpleUploadedFile(name, content, content_type="image/jpeg"),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    return Image.objects.get()


def test_the_image_form_says_what_is_removed(editor_client):
    form = editor_client.get(ADD_URL).text
    assert "GPS position" in form and "is removed from the file when it is stored" in form
    assert "orientation, colour profile, artist and copyright are kept" in form


def test_the_demo_reference_files_keep_their_exact_size_through_the_admin(editor_client):
    name, width, height, size = demo_images()[0]
    data = make_demo_jpeg(name, width, height, size)
    image = upload(editor_client, name.rpartition("/")[2], data)
    with image.file.open("rb") as stored:
        assert stored.read() == data
    assert image.file_size == size


def served_image_urls(html):
    """Every image address a page hands out: meta tags, links, img src and srcset."""
    urls = re.findall(r'<meta (?:property|name)="(?:og|twitter):image" content="([^"]+)"', html)
    urls += re.findall(r'<a href="([^"]+)" download>', html)
    urls += re.findall(r'<img[^>]* src="([^"]+)"', html)
    for srcset in re.findall(r'srcset="([^"]+)"', html):
        urls += [part.strip().split(" ")[0] for part in srcset.split(",")]
    return urls


def test_a_gps_tagged_jpeg_uploaded_through_the_admin_has_no_gps_in_any_served_file(
    editor_client, client, settings
):
    settings.SERVE_MEDIA = True
    data = jpeg_from_a_phone()
    image = upload(editor_client, "IMG_2024.jpg", data)
    with image.file.open("rb") as stored:
        kept = stored.read()
    # The stored size is the stored file's, not the upload's.
    assert image.file_size == len(kept) == image.file.storage.size(image.file.name) < len(data)
    entry = make_entry(image=image, headline="At the harbour")
    client.logout()

    with_original = client.get(entry.get_absolute_url()).text
    urls = served_image_urls(with_original)
    make_renditions(image)
    urls += served_image_urls(client.get(entry.get_absolute_url()).text)
    urls += served_image_urls(client.get("/").text)
    enclosures = []
    for feed in ("/feeds/entries.rss", "/feeds/entries.atom"):
        xml = client.get(feed).text
        enclosures += re.findall(r'<enclosure[^>]* url="([^"]+)"', xml)
        enclosures += re.findall(r'<link[^>]* href="([^"]+)"[^>]* rel="enclosure"', xml)
        enclosures += re.findall(r'<link[^>]* rel="enclosure"[^>]* href="([^"]+)"', xml)
    assert len(enclosures) == 2
    urls += enclosures

    paths = {re.sub(r"^https?://[^/]+", "", url) for url in urls if "/media/" in url}
    original = image.file.url
    assert original in paths
    assert len(paths) == 3, paths  # the original and its JPEG and WebP renditions
    for path in sorted(paths):
        response = client.get(path)
        assert response.status_code == 200, path
        body = b"".join(response.streaming_content)
        assert_no_location_or_device(body)
        if path == original:
            assert body == kept
            with PILImage.open(io.BytesIO(body)) as photo:
                assert photo.getexif()[ExifTags.Base.Copyright] == "(c) Newsroom Agency"

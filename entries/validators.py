"""Uploaded images are judged by their content, never by their name or the browser's type.

`inspect_upload()` is the single check every upload path goes through (the admin's image form
uses it through `entries.forms.UploadedImageField`). It refuses, with a message for the form
field: an empty file, a file over `MAX_UPLOAD_MB`, anything Pillow does not decode as JPEG,
PNG, WebP or GIF (text, HTML, SVG, other formats), an image over `MAX_IMAGE_PIXELS` (read from
the header, before any pixel is decoded) and a truncated or corrupt image (decoded in full).
"""

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image as PILImage

# Pillow format name -> the extension stored, the other extensions accepted for display, MIME.
FORMATS = {
    "JPEG": ("jpg", {"jpg", "jpeg", "jpe"}, "image/jpeg"),
    "PNG": ("png", {"png"}, "image/png"),
    "WEBP": ("webp", {"webp"}, "image/webp"),
    "GIF": ("gif", {"gif"}, "image/gif"),
}
ACCEPTED = "JPEG, PNG, WebP or GIF"

# Characters a displayed name may not contain: path separators, markup, quotes, and the
# characters Windows forbids. Control and invisible format characters (bidi overrides) are
# refused by category below.
UNSAFE_DISPLAY = set("/\\<>\"'`:|?*&;%{}$")
MAX_DISPLAY_LENGTH = 120
MAX_STEM_LENGTH = 80


@dataclass(frozen=True)
class UploadInfo:
    format: str  # Pillow's name: JPEG, PNG, WEBP, GIF
    content_type: str
    width: int
    height: int
    stored_name: str  # a safe ASCII name with the extension of the real format
    display_name: str  # the uploaded base name when safe to show, else ""


def max_upload_bytes():
    return settings.MAX_UPLOAD_MB * 1024 * 1024


def inspect_upload(upload):
    """Return `UploadInfo` for an acceptable image file, or raise `ValidationError`."""
    size = upload.size
    if not size:
        raise ValidationError("The file is empty.", code="empty")
    if size > max_upload_bytes():
        raise ValidationError(
            "The file is %(size).1f MB; the limit is %(limit)s MB.",
            code="too_large",
            params={"size": size / 1024 / 1024, "limit": settings.MAX_UPLOAD_MB},
        )

    limit = settings.MAX_IMAGE_PIXELS
    PILImage.MAX_IMAGE_PIXELS = limit  # Pillow's own guard follows the setting
    upload.seek(0)
    try:
        # Only the header is read here; `formats` keeps every other decoder out (SVG, PDF,
        # EPS, ...), and a text or HTML file is not identified at all. Pillow itself raises
        # DecompressionBombError above twice its limit (and only warns between 1x and 2x).
        picture = PILImage.open(upload, formats=list(FORMATS))
        width, height = picture.size
        if width * height > limit:
            raise _too_many_pixels(width * height, limit)
        fmt = picture.format
        # The full decode: a truncated or corrupt file fails here.
        picture.load()
    except PILImage.DecompressionBombError as bomb:
        # Pillow's guard fired while reading the header; its message has the pixel count.
        found = re.search(r"\((\d+) pixels\)", str(bomb))
        raise _too_many_pixels(int(found[1]) if found else None, limit) from None
    except ValidationError:
        raise
    except PILImage.UnidentifiedImageError:
        raise ValidationError(
            f"This is not a {ACCEPTED} image (the file's content was checked, not its name).",
            code="not_an_image",
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as error:
        raise ValidationError(
            "The image is truncated or corrupt and cannot be read (%(reason)s).",
            code="corrupt",
            params={"reason": str(error)[:100] or type(error).__name__},
        ) from None
    finally:
        upload.seek(0)

    extension, known_extensions, content_type = FORMATS[fmt]
    original = base_name(upload.name)
    return UploadInfo(
        format=fmt,
        content_type=content_type,
        width=width,
        height=height,
        stored_name=safe_name(original, extension),
        display_name=display_name(original, extension, known_extensions),
    )


def _too_many_pixels(pixels, limit):
    found = f"{pixels:,} pixels; " if pixels else ""
    return ValidationError(
        f"The image is too large: {found}the limit is {limit:,} pixels (width x height).",
        code="too_many_pixels",
    )


def base_name(name):
    """The last part of a name, whichever separator the sender's system uses."""
    return re.split(r"[\\/]", name or "")[-1].strip()


def safe_name(original, extension):
    """An ASCII name for storage: letters, digits, `-`, `_` and `.`, with the real extension."""
    stem = PurePosixPath(original).stem if "." in original else original
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_stem)
    ascii_stem = re.sub(r"[-.]{2,}", "-", ascii_stem).strip("-._")[:MAX_STEM_LENGTH]
    return f"{ascii_stem or 'image'}.{extension}"


def display_name(original, extension, known_extensions):
    """The uploaded base name for readers, when it is plain enough to show; else ""."""
    name = unicodedata.normalize("NFC", original)
    if (
        not name
        or len(name) > MAX_DISPLAY_LENGTH
        or name.startswith(".")
        or UNSAFE_DISPLAY.intersection(name)
        or any(unicodedata.category(char)[0] in "CZ" and char != " " for char in name)
    ):
        return ""
    stem, dot, given = name.rpartition(".")
    if not dot or not stem:
        return f"{name}.{extension}"
    if given.lower() in known_extensions:
        return name
    # A PNG uploaded as `photo.jpg` is shown, and downloaded, as `photo.png`.
    return f"{stem}.{extension}"

"""Demo content: the fixture `entries/fixtures/demo.json` plus the photo files it refers to.

The fixture is the single source of truth. Each demo photo is a real JPEG drawn with Pillow at
the fixture's width and height, then padded with JPEG comment segments to the fixture's exact
byte size, so the public line shows the same `<size>KB` as the reference site.
"""

import hashlib
import io
import json
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "demo.json"

COMMENT_MARKER = b"\xff\xfe"
MAX_SEGMENT_PAYLOAD = 65533  # a segment's 2-byte length counts itself


def demo_images():
    """The fixture's image records: (stored name, width, height, byte size)."""
    records = json.loads(FIXTURE.read_text(encoding="utf-8"))
    return [
        (r["fields"]["file"], r["fields"]["width"], r["fields"]["height"], r["fields"]["file_size"])
        for r in records
        if r["model"] == "entries.image"
    ]


def draw_placeholder(name, width, height, quality):
    """A gradient card with the file name on it, as JPEG bytes: plainly a stand-in photo."""
    digest = hashlib.sha256(name.encode()).digest()
    top, bottom = digest[:3], digest[3:6]
    gradient = PILImage.linear_gradient("L").resize((width, height))
    channels = [
        gradient.point(lambda v, a=a, b=b: a + (b - a) * v // 255)
        for a, b in zip(top, bottom, strict=True)
    ]
    picture = PILImage.merge("RGB", channels)
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=max(24, height // 14))
    label = Path(name).name
    draw.rectangle((0, height - height // 6, width, height), fill=(20, 20, 20))
    draw.text((width // 24, height - height // 8), label, fill=(245, 245, 245), font=font)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def pad_jpeg(data, size):
    """`data` grown to exactly `size` bytes with comment segments after the SOI marker."""
    missing = size - len(data)
    if missing == 0:
        return data
    if missing < 4:  # the smallest comment segment is 4 bytes
        raise ValueError(f"cannot pad by {missing} bytes")
    segments = []
    while missing:
        payload = min(missing - 4, MAX_SEGMENT_PAYLOAD)
        if 0 < missing - 4 - payload < 4:  # leave room for a last whole segment
            payload -= 4
        segments.append(COMMENT_MARKER + (payload + 2).to_bytes(2, "big") + b"\0" * payload)
        missing -= payload + 4
    return data[:2] + b"".join(segments) + data[2:]


def make_demo_jpeg(name, width, height, size):
    """A real JPEG of exactly `size` bytes."""
    for quality in range(85, 20, -5):
        data = draw_placeholder(name, width, height, quality)
        if len(data) == size or len(data) + 4 <= size:
            return pad_jpeg(data, size)
    raise ValueError(f"{name}: cannot make a {width}x{height} JPEG as small as {size} bytes")


def ensure_demo_files(storage=default_storage):
    """Write each demo photo that is missing or has the wrong size; return how many were written."""
    written = 0
    for name, width, height, size in demo_images():
        if storage.exists(name):
            if storage.size(name) == size:
                continue
            storage.delete(name)
        saved = storage.save(name, ContentFile(make_demo_jpeg(name, width, height, size)))
        if saved != name:  # the fixture points at `name`; a renamed file would break it
            raise RuntimeError(f"storage saved {name} as {saved}")
        written += 1
    return written

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


# The French versions of the demo (issue 13): faithful translations of the newest entries,
# the topic and the photos' captions, keyed by the English slugs (entries/fixtures/demo_fr.json).
FRENCH_FIXTURE = FIXTURE.with_name("demo_fr.json")


def load_translations(path=FRENCH_FIXTURE, language="fr"):
    """Make (or update) the demo's versions in `language` from a translations file; returns how
    many entries it holds. The English rows must be loaded already."""
    from datetime import timedelta

    from .models import Entry, Image, Topic

    data = json.loads(path.read_text(encoding="utf-8"))
    topics = {}
    for english_slug, text in data["topics"].items():
        source = Topic.objects.get(language="en", slug=english_slug)
        topics[source.pk], _ = Topic.objects.update_or_create(
            language=language,
            slug=text["slug"],
            defaults={**text, "translation_key": source.translation_key},
        )
    for pk, text in data["images"].items():
        image = Image.objects.get(pk=int(pk))
        translated = {**image.translations, language: text}
        Image.objects.filter(pk=image.pk).update(translations=translated)
    for english_slug, text in data["entries"].items():
        source = Entry.objects.get(language="en", slug=english_slug)
        text = dict(text)
        delay = timedelta(hours=text.pop("published_hours_after", 0))
        version, _ = Entry.objects.update_or_create(
            language=language,
            translation_source=source,
            defaults={
                **text,
                "translation_key": source.translation_key,
                "image": source.image,
                "status": source.status,
                "pub_date": source.pub_date + delay,
                "published_at": source.pub_date + delay,
                "source_digest": source.content_digest,
            },
        )
        version.topics.set(
            [topics[pk] for pk in source.topics.values_list("pk", flat=True) if pk in topics]
        )
    return len(data["entries"])

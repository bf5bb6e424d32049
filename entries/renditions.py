"""Responsive renditions: each image resized to a few widths, in WebP and JPEG, made once.

An image gets renditions at every width in WIDTHS narrower than itself, plus one at its own
width (capped at the widest), so there is always a copy without EXIF/GPS data to show.
They are made by a background task queued after the image's row is committed
(entries/tasks.py), and again only when its file changes; `manage.py make_renditions` makes
any that are missing (`load_demo` leaves them to it: ~0.2 s a photo is too slow for 181
photos; pages show the original until then).
Pages read the list of renditions kept on the image's row (`Image.rendition_sources`,
refreshed here whenever the rows change) and never open or stat a file.
"""

import io

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from PIL import Image as PILImage
from PIL import ImageOps

from .models import Image, Rendition

WIDTHS = (320, 640, 1280)
SAVE_OPTIONS = {
    # method 2 encodes about three times faster than the default 4, for files ~10% larger.
    Rendition.Format.WEBP: {"format": "WEBP", "quality": 80, "method": 2},
    Rendition.Format.JPEG: {"format": "JPEG", "quality": 82, "progressive": True},
}


def target_widths(original_width):
    widths = [w for w in WIDTHS if w < original_width]
    widths.append(min(original_width, WIDTHS[-1]))
    return sorted(set(widths))


def _stripped(picture):
    """The pixels only: orientation applied, EXIF, GPS, ICC and comments left behind."""
    picture = ImageOps.exif_transpose(picture)
    picture = picture.convert("RGBA" if picture.mode in ("RGBA", "LA", "P") else "RGB")
    clean = PILImage.new(picture.mode, picture.size)
    clean.paste(picture)
    return clean


def make_renditions(image):
    """Create the image's missing renditions (dropping ones made from an older file)."""
    if not image.file:
        return 0
    stale = image.renditions.exclude(source=image.file.name)
    for rendition in stale:
        rendition.delete()  # the image's list follows (see `rendition_changed`)
    existing = set(image.renditions.values_list("format", "width"))
    wanted = [
        (fmt, width)
        for width in target_widths(image.width)
        for fmt in Rendition.Format
        if (fmt, width) not in existing
    ]
    if not wanted:
        image.refresh_rendition_sources()  # rows made before the list existed
        return 0
    with image.file.open("rb") as handle:
        original = PILImage.open(handle)
        # JPEG decoders can scale down while decoding: much faster for small widths.
        original.draft("RGB", (max(w for _, w in wanted), image.height))
        picture = _stripped(original)
    with transaction.atomic():  # one commit for the image's rows and its list
        return _write_renditions(image, picture, wanted)


def _write_renditions(image, picture, wanted):
    renditions = []
    full_width, full_height = picture.size
    for width in sorted({w for _, w in wanted}, reverse=True):
        # Widest first, each made from the previous one: less to resample each time.
        height = max(1, round(full_height * width / full_width))
        resized = picture = picture.resize(
            (width, height), PILImage.Resampling.LANCZOS, reducing_gap=3.0
        )
        for fmt in Rendition.Format:
            if (fmt, width) not in wanted:
                continue
            frame = resized if fmt == Rendition.Format.WEBP else resized.convert("RGB")
            buffer = io.BytesIO()
            frame.save(buffer, **SAVE_OPTIONS[fmt])
            stem = image.file_name.rsplit(".", 1)[0]
            rendition = Rendition(
                image=image, format=fmt, width=width, height=height, source=image.file.name
            )
            rendition.file.save(
                f"{stem}-{width}w.{fmt}", ContentFile(buffer.getvalue()), save=False
            )
            renditions.append(rendition)
    # One INSERT for the image's rows (no per-row signals), then its list once.
    Rendition.objects.bulk_create(renditions)
    image.refresh_rendition_sources()
    return len(renditions)


def make_missing_renditions(images=None):
    """Renditions for every image that lacks some; returns how many files were written."""
    images = Image.objects.all() if images is None else images
    made = 0
    for image in images.iterator():
        made += make_renditions(image)
    return made


@receiver(post_delete, sender=Rendition, dispatch_uid="entries_rendition_file")
def rendition_deleted(sender, instance, **kwargs):
    if instance.file:
        name, storage = instance.file.name, instance.file.storage
        transaction.on_commit(lambda: storage.delete(name))


@receiver(post_save, sender=Rendition, dispatch_uid="entries_rendition_saved")
@receiver(post_delete, sender=Rendition, dispatch_uid="entries_rendition_deleted")
def rendition_changed(sender, instance, raw=False, origin=None, **kwargs):
    """The image's list of renditions (`Image.rendition_sources`) follows its rows."""
    if raw or isinstance(origin, Image):  # loaddata brings the list; a deleted image has none
        return
    image = Image.objects.filter(pk=instance.image_id).first()
    if image is not None:
        image.refresh_rendition_sources()

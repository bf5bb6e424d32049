"""Which images need attention: the groups of the image-health page, the images changelist's
filter and the admin index's counts, defined once.

Each `Need` is a name, a label and a filter on an `Image` queryset; more can be appended to
`NEEDS` (e.g. renditions that failed to be made). The file's SHA-256 (`Image.content_hash`)
tells two uploads of the same file apart from two similar ones.
"""

import hashlib
from typing import NamedTuple

from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.signals import pre_save

from .models import BodyImage, Entry, Image, Rendition

LARGE_BYTES = 5 * 1024 * 1024
WIDE_PIXELS = 4000


class Need(NamedTuple):
    slug: str
    label: str
    fix: str  # what to do, for the health page
    filter: object  # callable: queryset -> queryset

    def images(self, queryset=None):
        return self.filter(Image.objects.all() if queryset is None else queryset)


def _no_alt_text(images):
    return images.filter(decorative=False).filter(Q(alt_text="") | Q(alt_text__regex=r"^\s+$"))


def _oversized(images):
    return images.filter(Q(file_size__gt=LARGE_BYTES) | Q(width__gt=WIDE_PIXELS))


def _renditions_missing(images):
    made = Rendition.objects.filter(image=OuterRef("pk"), source=OuterRef("file"))
    return images.filter(~Exists(made))


def _unused(images):
    as_photo = Entry.objects.filter(image=OuterRef("pk"))
    in_a_body = BodyImage.objects.filter(image=OuterRef("pk"))  # placed in a body (#11)
    return images.filter(~Exists(as_photo), ~Exists(in_a_body))


def _duplicates(images):
    twice = (
        Image.objects.exclude(content_hash="")
        .values("content_hash")
        .annotate(copies=Count("pk"))
        .filter(copies__gt=1)
        .values("content_hash")
    )
    return images.filter(content_hash__in=twice)


NEEDS = [
    Need(
        "no-alt-text",
        "No alt text and not decorative",
        "Describe what the photo shows, or tick “decorative”.",
        _no_alt_text,
    ),
    Need(
        "no-caption",
        "No caption",
        "Write the line readers see under it.",
        lambda i: i.filter(caption__regex=r"^\s*$"),
    ),
    Need(
        "no-credit",
        "No credit",
        "Name the photographer or agency.",
        lambda i: i.filter(credit__regex=r"^\s*$"),
    ),
    Need(
        "oversized",
        "Originals over 5 MB or wider than 4,000 px",
        "Upload a smaller original (readers download it).",
        _oversized,
    ),
    Need(
        "renditions-missing",
        "Renditions missing",
        "Run manage.py make_renditions; pages show the original until then.",
        _renditions_missing,
    ),
    Need(
        "unused",
        "Not used by any entry",
        "Neither an entry's photo nor inside a body: use it or delete it.",
        _unused,
    ),
    Need(
        "duplicates",
        "The same file uploaded twice",
        "Keep one copy, point its entries at it, delete the others.",
        _duplicates,
    ),
]


def need(slug):
    return next((item for item in NEEDS if item.slug == slug), None)


def counts():
    """[(need, count)] for every group: one query per group."""
    return [(item, item.images().count()) for item in NEEDS]


# The content hash, computed once per stored file.


def file_sha256(field_file):
    digest = hashlib.sha256()
    stored = getattr(field_file, "_committed", True)  # else: an upload not yet written
    if stored:
        field_file.open("rb")
    try:
        for chunk in field_file.chunks():
            digest.update(chunk)
    finally:
        if stored:
            field_file.close()
    return digest.hexdigest()


def hash_before_save(sender, instance, raw=False, **kwargs):
    """A new file (or one never hashed) gets its SHA-256 before the row is written."""
    file = instance.file
    if not file:
        instance.content_hash = ""
    elif not getattr(file, "_committed", True) or not instance.content_hash:
        try:
            instance.content_hash = file_sha256(file)
        except (OSError, ValueError):
            instance.content_hash = ""  # not stored yet (loaddata): `hash_images` does it


def hash_missing():
    """Hash the images stored before hashes were kept; returns how many were hashed."""
    done = 0
    for image in Image.objects.filter(content_hash="").exclude(file="").iterator():
        try:
            digest = file_sha256(image.file)
        except (OSError, ValueError):
            continue
        Image.objects.filter(pk=image.pk).update(content_hash=digest)
        done += 1
    return done


def connect():
    pre_save.connect(hash_before_save, sender=Image, dispatch_uid="entries_image_content_hash")

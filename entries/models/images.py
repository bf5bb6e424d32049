"""Photos and their renditions."""

import mimetypes
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from newsroom.i18n import decimal
from newsroom.storage import media_url

from ..image_metadata import strip_field_file
from .base import ContentQuerySet


@lru_cache(maxsize=64)
def _public_line_format(language):
    # Looked up once per language: every listing card shows a photo line.
    with translation.override(language):
        return translation.gettext("%(name)s, %(size)sKB")


setting_changed.connect(lambda **kwargs: _public_line_format.cache_clear(), weak=False)


class RenditionStatus(models.TextChoices):
    PENDING = "pending", _("Being made")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class Image(models.Model):
    file = models.ImageField(
        _("file"),
        upload_to="images/%Y/%m/",
        max_length=255,
        width_field="width",
        height_field="height",
        help_text=_("JPEG, PNG, WebP or GIF. Size and dimensions are read from the file."),
    )
    caption = models.CharField(_("caption"), max_length=500, blank=True)
    alt_text = models.CharField(
        _("alt text"),
        max_length=500,
        blank=True,
        help_text=_(
            "Describes the photo for people who cannot see it. Required unless the "
            "image is decorative."
        ),
    )
    decorative = models.BooleanField(
        _("decorative"),
        default=False,
        help_text=_(
            "Adds nothing a reader needs (the text says it all): screen readers skip it "
            "and no alt text is required."
        ),
    )
    credit = models.CharField(_("credit"), max_length=200, blank=True)
    # The caption and alt text in the other languages: {"fr": {"caption": ..., "alt_text":
    # ...}}. A photo is shared by every language version of a story; a language without its
    # own text shows the default language's.
    translations = models.JSONField(default=dict, blank=True)
    original_name = models.CharField(
        max_length=255,
        blank=True,
        editable=False,
        help_text="The uploaded file's own name, shown to readers when it was safe to keep.",
    )
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    file_size = models.PositiveIntegerField(
        editable=False, default=0, help_text="Size of the stored file, in bytes."
    )
    # The renditions of the current file as `<picture>` needs them, copied from the Rendition
    # rows by `refresh_rendition_sources` whenever those change: pages read them with the
    # image's row instead of querying renditions. {"source": file name, "renditions":
    # [[format, width, height, file name], ...]}, or {} before any are made.
    rendition_sources = models.JSONField(default=dict, blank=True, editable=False)
    # Renditions are made by a background task (entries/tasks.py), which records here how
    # it went, for the admin; the last error stays until a later attempt succeeds.
    rendition_status = models.CharField(
        _("renditions"),
        max_length=10,
        choices=RenditionStatus,
        default=RenditionStatus.PENDING,
        editable=False,
    )
    rendition_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    rendition_error = models.TextField(blank=True, editable=False)
    # SHA-256 of the file (entries/image_health.py): the same file uploaded twice.
    content_hash = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ContentQuerySet.as_manager()

    class Meta:
        verbose_name = _("image")
        verbose_name_plural = _("images")
        ordering = ["-created", "-id"]

    def __str__(self):
        # The admin's image autocomplete and "add another" popup show this: the public line.
        return self.public_line if self.file else "(no file)"

    def save(self, *args, **kwargs):
        # width and height come from ImageField itself; the byte size is the new file's once
        # it has lost its location and device metadata, read from the upload (asking the
        # storage would be a round trip to the bucket).
        if self.file and not self.file._committed:
            strip_field_file(self.file)
            self.file_size = self.file.size
            # A new file's renditions are still to be made (entries/tasks.py).
            self.rendition_status = RenditionStatus.PENDING
            self.rendition_attempts = 0
            self.rendition_error = ""
        super().save(*args, **kwargs)

    def clean(self):
        if not self.decorative and not self.alt_text.strip():
            raise ValidationError(
                {"alt_text": _("Describe the image, or tick “decorative” if it adds nothing.")}
            )

    @property
    def file_name(self):
        """The name shown to the public (`240718a-001.jpg`): the uploaded name when it was
        safe to keep, else the stored file's base name."""
        if self.original_name:
            return self.original_name
        # Plain string work: this runs for every entry of every listing page.
        name = self.file.name
        return name.rpartition("/")[2] if name else ""

    def text_in(self, field, language=None):
        """`caption` or `alt_text` in `language` (the active one by default), falling back to
        the default language's."""
        language = language or translation.get_language()
        # The photo's translations first: most have none in the page's language, and then
        # the default language (a setting read, twice per listing card) need not be read.
        translated = self.translations.get(language)
        if translated and language != settings.LANGUAGE_CODE:
            text = translated.get(field)
            if text:
                return text
        return getattr(self, field)

    @property
    def shown_alt_text(self):
        return self.text_in("alt_text")

    @property
    def size_kb(self):
        """The stored file's size in KB (bytes / 1024) with two decimals, in the active
        language's notation: `98.88`, `98,88`."""
        return self.size_kb_in(None)

    def size_kb_in(self, language):
        """`size_kb` in `language`'s notation (None: the active language)."""
        return decimal(self.file_size / 1024, 2, language)

    @property
    def public_line(self):
        """`<file name> - <caption>, <size>KB` (`98,88 Ko` in French, the catalogue's unit),
        without the caption part when there is none."""
        return self.public_line_in(translation.get_language())

    def public_line_in(self, language):
        """`public_line` in `language`, the active one (a language's templates know it: every
        listing card shows the line, and looking the language up was a third of its work)."""
        caption = self.text_in("caption", language)
        name = f"{self.file_name} - {caption}" if caption else self.file_name
        return _public_line_format(language) % {
            "name": name,
            "size": self.size_kb_in(language),
        }

    @property
    def url(self):
        """The original's public URL, from its stored name: no storage call."""
        return media_url(self.file.name)

    @property
    def mime_type(self):
        """The original's type from its extension (`image/jpeg`), for feeds and metadata."""
        return mimetypes.guess_type(self.file_name)[0] or "application/octet-stream"

    def renditions_by_format(self):
        """`{"jpeg": [RenditionSource, ...], "webp": [...]}`, narrowest first, from the list
        kept on the row: no query. Empty while the renditions of the current file are still
        to be made (the original is shown until then)."""
        sources = self.rendition_sources
        if not sources or sources.get("source") != self.file.name:
            return {}
        grouped = {}
        for format, width, height, name in sources["renditions"]:
            url = media_url(name)
            grouped.setdefault(format, []).append(RenditionSource(format, width, height, url))
        return grouped

    def refresh_rendition_sources(self):
        """Copy the rendition rows of the current file into `rendition_sources`; writes (and
        so drops the content version) only when they differ."""
        rows = (
            self.renditions.filter(source=self.file.name)
            .order_by("format", "width")
            .values_list("format", "width", "height", "file")
        )
        sources = {"source": self.file.name, "renditions": [list(row) for row in rows]}
        if not sources["renditions"]:
            sources = {}
        if sources != self.rendition_sources:
            Image.objects.filter(pk=self.pk).update(rendition_sources=sources)
            self.rendition_sources = sources


class RenditionSource(NamedTuple):
    """One rendition as `<picture>` markup and metadata need it: no model instance."""

    format: str
    width: int
    height: int
    url: str


class Rendition(models.Model):
    """A resized copy of an image's file, without EXIF data; made by `entries.renditions`."""

    class Format(models.TextChoices):
        WEBP = "webp", "WebP"
        JPEG = "jpeg", "JPEG"

    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="renditions")
    format = models.CharField(max_length=4, choices=Format)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    file = models.FileField(upload_to="renditions/%Y/%m/", max_length=255)
    source = models.CharField(
        max_length=255, help_text="The image file this was made from; a new file means new ones."
    )

    class Meta:
        ordering = ["image", "format", "width"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "format", "width"], name="rendition_unique_per_width"
            )
        ]

    def __str__(self):
        return f"{self.image} {self.width}w {self.format}"

    @property
    def mime_type(self):
        return f"image/{self.format}"

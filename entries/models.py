from functools import lru_cache

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from newsroom.cache import bump_content_version


@lru_cache(maxsize=8)
def _entry_url_parts(script_prefix, urlconf, root_urlconf):
    """The entry URL around its slug, e.g. ("/entries/", "/"), for one URL configuration."""
    marker = "slug-marker"
    before, _, after = reverse(
        "entries:entry_detail", urlconf=urlconf, kwargs={"slug": marker}
    ).partition(marker)
    return before, after


class ContentQuerySet(models.QuerySet):
    """Bulk writes send no model signals, so they drop the content version themselves."""

    def update(self, **kwargs):
        rows = super().update(**kwargs)
        bump_content_version()
        return rows

    def bulk_create(self, *args, **kwargs):
        objs = super().bulk_create(*args, **kwargs)
        bump_content_version()
        return objs

    def bulk_update(self, *args, **kwargs):
        rows = super().bulk_update(*args, **kwargs)
        bump_content_version()
        return rows


class Topic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    description = models.TextField(blank=True)

    objects = ContentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Image(models.Model):
    file = models.ImageField(
        upload_to="images/%Y/%m/",
        width_field="width",
        height_field="height",
        help_text="JPEG, PNG, WebP or GIF. Size and dimensions are read from the file.",
    )
    caption = models.CharField(max_length=500, blank=True)
    alt_text = models.CharField(
        max_length=500,
        blank=True,
        help_text="Describes the photo for people who cannot see it.",
    )
    credit = models.CharField(max_length=200, blank=True)
    width = models.PositiveIntegerField(editable=False, default=0)
    height = models.PositiveIntegerField(editable=False, default=0)
    file_size = models.PositiveIntegerField(
        editable=False, default=0, help_text="Size of the stored file, in bytes."
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ContentQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return self.file_name

    def save(self, *args, **kwargs):
        # width and height come from ImageField itself; the byte size is the stored file's.
        if self.file:
            self.file_size = self.file.size
        super().save(*args, **kwargs)

    @property
    def file_name(self):
        """The stored file's base name, as shown to the public (`240718a-001.jpg`)."""
        # Plain string work: this runs for every entry of every listing page.
        name = self.file.name
        return name.rpartition("/")[2] if name else ""

    @property
    def size_kb(self):
        """The stored file's size in KB (bytes / 1024) with two decimals: `98.88`."""
        return f"{self.file_size / 1024:.2f}"

    @property
    def public_line(self):
        """`<file name> - <caption>, <size>KB`, without the caption part when there is none."""
        name = f"{self.file_name} - {self.caption}" if self.caption else self.file_name
        return f"{name}, {self.size_kb}KB"


class EntryQuerySet(ContentQuerySet):
    def published(self):
        """Entries the public may see: published, and their publication time has come."""
        return self.filter(status=Entry.Status.PUBLISHED, pub_date__lte=timezone.now())

    def before(self, entry):
        """Entries listed after `entry` (older), in listing order."""
        # The plain bound lets the database start its index scan at the entry (the OR alone
        # would make it filter every newer row).
        return self.filter(
            Q(pub_date__lt=entry.pub_date) | Q(pub_date=entry.pub_date, pk__lt=entry.pk),
            pub_date__lte=entry.pub_date,
        ).order_by("-pub_date", "-pk")

    def after(self, entry):
        """Entries listed before `entry` (newer), nearest first."""
        return self.filter(
            Q(pub_date__gt=entry.pub_date) | Q(pub_date=entry.pub_date, pk__gt=entry.pk),
            pub_date__gte=entry.pub_date,
        ).order_by("pub_date", "pk")


class Entry(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    headline = models.CharField(max_length=300)
    slug = models.SlugField(
        max_length=300, unique=True, help_text="The entry's address: /entries/<slug>/."
    )
    pub_date = models.DateTimeField(
        "publication date",
        default=timezone.now,
        help_text="A published entry stays hidden from the public until this time.",
    )
    summary = models.TextField(help_text="One paragraph of plain text, shown on listings.")
    body = models.TextField(
        blank=True, help_text="The full article, plain text; a blank line starts a paragraph."
    )
    image = models.ForeignKey(
        Image,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        help_text="An image used by an entry cannot be deleted.",
    )
    topics = models.ManyToManyField(Topic, blank=True, related_name="entries")
    status = models.CharField(max_length=10, choices=Status, default=Status.DRAFT)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["-pub_date", "-id"]
        get_latest_by = "pub_date"
        indexes = [
            # The public listing: status filter, newest first, id as tie-breaker.
            models.Index(fields=["status", "-pub_date", "-id"], name="entry_listing_idx"),
            # The admin changelist and date hierarchy: every status, newest first.
            models.Index(fields=["-pub_date", "-id"], name="entry_pub_date_idx"),
        ]

    def __str__(self):
        return self.headline

    def get_absolute_url(self):
        # reverse() once per URL configuration, not once per entry of every listing.
        prefix, slug = _entry_url_parts(get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
        return prefix + self.slug + slug

    @property
    def is_published(self):
        """The instance version of `EntryQuerySet.published()`."""
        return self.status == self.Status.PUBLISHED and self.pub_date <= timezone.now()

import contextvars
import mimetypes
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import Case, Count, Exists, Max, Min, OuterRef, Q, Value, When
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from newsroom import prepared
from newsroom.i18n import decimal
from newsroom.storage import media_url

from . import richtext
from .image_metadata import strip_field_file
from .translations import Translatable, TranslatableQuerySet, content_digest


@lru_cache(maxsize=32)
def _entry_url_parts(script_prefix, urlconf, root_urlconf, language):
    """The entry URL around its slug, e.g. ("/fr/entries/", "/"), for one URL configuration
    and language."""
    marker = "slug-marker"
    with translation.override(language):
        url = reverse("entries:entry_detail", urlconf=urlconf, kwargs={"slug": marker})
    before, _, after = url.partition(marker)
    return before, after


class ContentQuerySet(models.QuerySet):
    """Bulk writes send no model signals: they tell the caches what changed themselves
    (entries.invalidation)."""

    def update(self, **kwargs):
        from .invalidation import bulk_change  # it imports this module

        with bulk_change(self.model, self.values_list("pk", flat=True), kwargs):
            return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        from .invalidation import created_in_bulk

        objs = super().bulk_create(objs, *args, **kwargs)
        created_in_bulk(self.model, objs)
        return objs

    def bulk_update(self, objs, fields, *args, **kwargs):
        from .invalidation import bulk_change

        objs = list(objs)
        with bulk_change(self.model, [obj.pk for obj in objs], fields):
            return super().bulk_update(objs, fields, *args, **kwargs)


class TopicQuerySet(ContentQuerySet, TranslatableQuerySet):
    def with_published_counts(self):
        """Each topic with `entry_count`, the number of its entries the public may see."""
        return self.annotate(
            entry_count=Count("entries", filter=Q(entries__in=Entry.objects.published()))
        )


class Topic(Translatable):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200)
    description = models.TextField(_("description"), blank=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["language", "name"], name="topic_name_per_language"),
            models.UniqueConstraint(fields=["language", "slug"], name="topic_slug_per_language"),
            models.UniqueConstraint(
                fields=["translation_key", "language"], name="topic_one_per_language"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        with translation.override(self.language):
            return reverse("entries:topic_detail", kwargs={"slug": self.slug})


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
        if language != settings.LANGUAGE_CODE:
            translated = self.translations.get(language, {}).get(field)
            if translated:
                return translated
        return getattr(self, field)

    @property
    def shown_caption(self):
        return self.text_in("caption")

    @property
    def shown_alt_text(self):
        return self.text_in("alt_text")

    @property
    def size_kb(self):
        """The stored file's size in KB (bytes / 1024) with two decimals, in the active
        language's notation: `98.88`, `98,88`."""
        return decimal(self.file_size / 1024, 2)

    @property
    def public_line(self):
        """`<file name> - <caption>, <size>KB` (`98,88 Ko` in French, the catalogue's unit),
        without the caption part when there is none."""
        caption = self.shown_caption
        name = f"{self.file_name} - {caption}" if caption else self.file_name
        return translation.gettext("%(name)s, %(size)sKB") % {"name": name, "size": self.size_kb}

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


_bulk_updating = contextvars.ContextVar("entries_bulk_updating", default=False)


class EntryQuerySet(ContentQuerySet, TranslatableQuerySet):
    # Bodies written in bulk are cleaned like saved ones (entries.body, entries.richtext).

    def update(self, **kwargs):
        # No signal is sent for this write: the body is cleaned here, and the history
        # records the rows itself (entries.history).
        from .history import record_update

        cleaning = "body" in kwargs and not _bulk_updating.get()
        if cleaning:
            from .body import clean_value, sync_body_images

            kwargs["body"] = clean_value(kwargs["body"])
            ids = list(self.values_list("pk", flat=True))
        record = record_update(self, kwargs)
        rows = super().update(**kwargs)
        if cleaning:
            sync_body_images(ids)
        if {"headline", "summary", "body"} & kwargs.keys():
            self._refresh_digests()
        if record:
            record()
        return rows

    def _refresh_digests(self):
        """`content_digest` after a bulk write of the text (save() computes it otherwise)."""
        rows = Entry.objects.filter(pk__in=self.values("pk"))
        for pk, *text in rows.values_list("pk", "headline", "summary", "body"):
            # The plain QuerySet.update: this changes no page and records no history.
            digest = content_digest(*text)
            models.QuerySet.update(Entry.objects.filter(pk=pk), content_digest=digest)

    def bulk_create(self, objs, *args, **kwargs):
        from .body import sync_body_images

        objs = list(objs)
        for entry in objs:
            entry.body = richtext.clean(entry.body)
            entry.content_digest = content_digest(entry.headline, entry.summary, entry.body)
        created = super().bulk_create(objs, *args, **kwargs)
        with_photos = [e.pk for e in created if e.pk and "data-image" in e.body]
        if with_photos:  # new rows have no uses yet: only those placing a photo need any
            sync_body_images(with_photos)
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        if "body" not in fields:
            return super().bulk_update(objs, fields, *args, **kwargs)
        from .body import sync_body_images

        objs = list(objs)
        for entry in objs:
            entry.body = richtext.clean(entry.body)
        token = _bulk_updating.set(True)  # its update() gets cleaned bodies in a Case()
        try:
            rows = super().bulk_update(objs, fields, *args, **kwargs)
        finally:
            _bulk_updating.reset(token)
        sync_body_images([entry.pk for entry in objs])
        return rows

    def published(self):
        """Entries the public may see: published, and their publication time has come."""
        return self.filter(status=Entry.Status.PUBLISHED, pub_date__lte=prepared.now())

    def scheduled(self):
        """Published entries whose publication time is still to come."""
        return self.filter(status=Entry.Status.PUBLISHED, pub_date__gt=prepared.now())

    def drafts(self):
        return self.filter(status=Entry.Status.DRAFT)

    def next_publication_time(self):
        """When the next scheduled entry goes public (Unix time), or 0 when none is scheduled:
        the page cache replaces its content version at that moment."""
        found = _NEXT_PUBLICATION.rows()
        return found[0][0].timestamp() if found else 0.0

    def in_state(self, state):
        """Entries in one `Entry.State` (draft, scheduled or published)."""
        return {
            Entry.State.DRAFT: self.drafts,
            Entry.State.SCHEDULED: self.scheduled,
            Entry.State.PUBLISHED: self.published,
        }[Entry.State(state)]()

    def with_state(self):
        """Annotates `state` (the database's `publication_state`), e.g. to sort by it."""
        return self.annotate(
            state=Case(
                When(status=Entry.Status.DRAFT, then=Value(Entry.State.DRAFT.value)),
                When(pub_date__gt=timezone.now(), then=Value(Entry.State.SCHEDULED.value)),
                default=Value(Entry.State.PUBLISHED.value),
                output_field=models.CharField(),
            )
        )

    def years(self, order="ASC"):
        """The years with entries, as `datetimes("pub_date", "year")` gives them (1 January,
        midnight, current time zone), without reading every row.

        `datetimes()` truncates and de-duplicates every row's date: a scan of the table (about
        170 ms with 100,000 entries). Here: the first and last dates (two index reads), then one
        index probe per year in between, sent as one UNION ALL query where the database allows
        a LIMIT inside one (PostgreSQL), else one small query per year.
        """
        zone = timezone.get_current_timezone()
        rows = self.order_by()
        span = rows.aggregate(first=Min("pub_date"), last=Max("pub_date"))
        if span["first"] is None:
            return []
        first, last = (timezone.localtime(span[end], zone).year for end in ("first", "last"))
        probes = []
        for year in range(first, last + 1):
            probe = rows.filter(pub_date__gte=datetime(year, 1, 1, tzinfo=zone))
            if year < last:
                probe = probe.filter(pub_date__lt=datetime(year + 1, 1, 1, tzinfo=zone))
            probes.append(probe.values_list("pub_date", flat=True)[:1])
        if connections[self.db].features.supports_slicing_ordering_in_compound:
            dates = probes[0].union(*probes[1:], all=True).order_by() if probes[1:] else probes[0]
        else:
            dates = [day for probe in probes for day in probe]
        found = sorted({timezone.localtime(day, zone).year for day in dates})
        starts = [datetime(year, 1, 1, tzinfo=zone) for year in found]
        return starts[::-1] if order == "DESC" else starts

    def related_to(self, entry):
        """Entries sharing a topic with `entry` and listed after it (older), newest first:
        publishing an entry never changes an older entry's related entries (entries.cache_keys)."""
        # EXISTS rather than a join and DISTINCT: the database walks the listing order and
        # stops at the first few matches instead of de-duplicating every shared-topic row.
        through = Entry.topics.through.objects
        shares_a_topic = through.filter(
            entry_id=OuterRef("pk"),
            topic_id__in=through.filter(entry_id=entry.pk).values("topic_id"),
        )
        return self.before(entry).filter(Exists(shares_a_topic))

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


# Entries listed as related on an entry's page.
RELATED_ENTRIES = 3

# Read for the content version by every uncached request when no cache keeps it.
_NEXT_PUBLICATION = prepared.PreparedQuery(
    lambda: Entry.objects.scheduled().order_by("pub_date").values_list("pub_date")[:1]
)


class Entry(Translatable):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class State(models.TextChoices):
        """What the public sees, computed from `status` and `pub_date`; never stored."""

        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")

    headline = models.CharField(_("headline"), max_length=300)
    slug = models.SlugField(
        _("slug"),
        max_length=300,
        help_text=_(
            "The entry's address: /entries/this-slug/ (filled in from the headline); "
            "unique in its language."
        ),
    )
    pub_date = models.DateTimeField(
        _("publication date"),
        default=timezone.now,
        help_text=_("A published entry stays hidden from the public until this time."),
    )
    summary = models.TextField(
        _("summary"), help_text=_("One paragraph of plain text, shown on listings.")
    )
    body = models.TextField(
        _("body"),
        blank=True,
        help_text=_(
            "The full article: paragraphs, subheadings, links, lists, quotes, tables and "
            "inline photos. Stored as HTML; only what the site allows is kept."
        ),
    )
    image = models.ForeignKey(
        Image,
        verbose_name=_("photo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
        help_text=_("An image used by an entry cannot be deleted."),
    )
    topics = models.ManyToManyField(
        Topic, verbose_name=_("topics"), blank=True, related_name="entries"
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status,
        default=Status.DRAFT,
        help_text=_("A published entry whose publication date is in the future is scheduled."),
    )
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Grows by one on every save, so two editors cannot overwrite each other.",
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # The editorial desk (entries/history.py, previews.py, calendar.py).
    pub_date_chosen = models.BooleanField(
        default=True,
        db_default=True,  # rows inserted in SQL (generate_entries) have a typed date
        editable=False,
        help_text="False while a draft's publication date was never typed: publishing it "
        "dates it then.",
    )
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When it was last made public."
    )
    planned_date = models.DateTimeField(
        _("planned date"),
        null=True,
        blank=True,
        help_text=_(
            "When a draft is meant to go live, for the calendar. Planning is not "
            "scheduling: the entry stays a draft until it is published."
        ),
    )
    # Translations (entries.translations): the version this one was translated from, and
    # that version's `content_digest` when this one was last brought up to date with it.
    translation_source = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="translations_made",
        editable=False,
    )
    source_digest = models.CharField(max_length=64, blank=True, editable=False)
    content_digest = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="Fingerprint of the headline, summary and body (entries.translations).",
    )
    # Filled by the database itself (a PostgreSQL trigger, see entries/search.py) from the
    # headline, summary, body and image caption; unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        ordering = ["-pub_date", "-id"]
        get_latest_by = "pub_date"
        permissions = [("publish_entry", "Can publish, schedule and unpublish entries")]
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="entry_slug_per_language"),
            models.UniqueConstraint(
                fields=["translation_key", "language"], name="entry_one_per_language"
            ),
        ]
        indexes = [
            # The public listing: one language, status filter, newest first, id as tie-breaker.
            models.Index(
                fields=["language", "status", "-pub_date", "-id"], name="entry_listing_idx"
            ),
            # The admin changelist (any status, newest first) and its date bar's min/max.
            models.Index(fields=["-pub_date", "-id"], name="entry_pub_date_idx"),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        # content_digest is computed with the cleaned body (entries.body.clean_on_save); a
        # save of some fields writes it too when they are part of the text.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"headline", "summary", "body"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "content_digest"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        # reverse() once per URL configuration and language, not once per entry of a listing.
        prefix, slug = _entry_url_parts(
            get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF, self.language
        )
        return prefix + self.slug + slug

    @property
    def is_outdated(self):
        """A translation whose source's text has changed since it was brought up to date."""
        source = self.translation_source
        return source is not None and source.content_digest != self.source_digest

    @property
    def is_published(self):
        """The instance version of `EntryQuerySet.published()`."""
        return self.status == self.Status.PUBLISHED and self.pub_date <= timezone.now()

    @property
    def publication_state(self):
        """The instance version of `EntryQuerySet.with_state()`: draft, scheduled, published."""
        if self.status == self.Status.DRAFT:
            return self.State.DRAFT
        return self.State.PUBLISHED if self.is_published else self.State.SCHEDULED

    @property
    def was_updated(self):
        """Changed after it went public; saves within a minute of that do not count."""
        live_since = max(self.pub_date, self.published_at or self.pub_date)
        return self.updated - live_since >= timedelta(minutes=1)

    def mark_published(self, now=None):
        """Going public now: a draft whose date was never typed is dated now, a typed date
        (past, for the archive, or future, to schedule) is kept."""
        now = now or timezone.now().replace(microsecond=0)  # to the second, as the form
        if not self.pub_date_chosen:
            self.pub_date, self.pub_date_chosen = now, True
        self.published_at = now

    @property
    def body_text(self):
        """The body's words without markup (search, word count, `articleBody`), worked out
        once per body: a page asks for it three times."""
        known = self.__dict__.get("_body_text")
        if known is None or known[0] != self.body:
            known = self.__dict__["_body_text"] = (self.body, richtext.text(self.body))
        return known[1]

    @property
    def word_count(self):
        return len(self.body_text.split())

    @property
    def reading_minutes(self):
        return richtext.minutes_for(self.word_count)


# The article's models and the editorial desk's, in their own modules.
from .articles import BodyImage, OldSlug  # noqa: E402
from .deletions import DeletedEntry  # noqa: E402
from .previews import PreviewLink  # noqa: E402
from .schedule import CalendarFeed  # noqa: E402

__all__ = [
    "BodyImage",
    "CalendarFeed",
    "DeletedEntry",
    "Entry",
    "Image",
    "OldSlug",
    "PreviewLink",
    "Rendition",
    "Topic",
]

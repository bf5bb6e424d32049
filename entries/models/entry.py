"""Entries: the articles of the archive, one row per language version."""

import contextvars
from datetime import datetime, timedelta

from django.contrib.postgres.search import SearchVectorField
from django.db import connections, models
from django.db.models import Case, Exists, Max, Min, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from newsroom import prepared
from newsroom.content_version import note_next_change

from .. import richtext
from ..translations import Translatable, TranslatableQuerySet, content_digest
from .base import ContentQuerySet, slug_url
from .images import Image
from .topics import Topic

_bulk_updating = contextvars.ContextVar("entries_bulk_updating", default=False)


class EntryQuerySet(ContentQuerySet, TranslatableQuerySet):
    # Bodies written in bulk are cleaned like saved ones (entries.body, entries.richtext).

    def update(self, **kwargs):
        # No signal is sent for this write: the body is cleaned here, and the history
        # records the rows itself (entries.history).
        from ..history import record_update

        cleaning = "body" in kwargs and not _bulk_updating.get()
        if cleaning:
            from ..body import clean_value, sync_body_images

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
        from ..body import sync_body_images

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
        from ..body import sync_body_images

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


def _next_publication():
    """The pub_date of the next scheduled entry (none when nothing is scheduled)."""
    return Entry.objects.scheduled().order_by("pub_date").values_list("pub_date")[:1]


# Read for the content version by every uncached request when no cache keeps it.
_NEXT_PUBLICATION = prepared.PreparedQuery(_next_publication)


def next_publication_along():
    """For `PreparedCountedPage(along=...)`: the next publication time read in a listing page's
    own query and told to the content version, which with no cache at all would otherwise ask
    for it in a round trip of its own."""
    return {"next_publication": (_next_publication_column, _note_next_publication)}


def _next_publication_column(**values):
    return Subquery(_next_publication())


def _note_next_publication(found):
    note_next_change(found.timestamp() if found else 0.0)


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
        return slug_url("entries:entry_detail", self.slug, self.language)

    @property
    def url(self):
        """The entry's address, for templates: Jinja2 calls a method such as
        get_absolute_url() through its context, which costs as much as the address itself
        (once per listing card)."""
        return self.get_absolute_url()

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

"""Topics: an entry's subjects, one set per language."""

from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from ..translations import Translatable, TranslatableQuerySet
from .base import ContentQuerySet, slug_url


class TopicQuerySet(ContentQuerySet, TranslatableQuerySet):
    def with_published_counts(self):
        """Each topic with `entry_count`, the number of its entries the public may see."""
        from .entry import Entry  # it imports this module

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
        return slug_url("entries:topic_detail", self.slug, self.language)

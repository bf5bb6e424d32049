"""What every content model shares: bulk writes that tell the caches what changed, and the
entry URL's parts per language."""

from functools import lru_cache

from django.db import models
from django.urls import reverse
from django.utils import translation


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
        from ..invalidation import bulk_change  # it imports this package

        with bulk_change(self.model, self.values_list("pk", flat=True), kwargs):
            return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        from ..invalidation import created_in_bulk

        objs = super().bulk_create(objs, *args, **kwargs)
        created_in_bulk(self.model, objs)
        return objs

    def bulk_update(self, objs, fields, *args, **kwargs):
        from ..invalidation import bulk_change

        objs = list(objs)
        with bulk_change(self.model, [obj.pk for obj in objs], fields):
            return super().bulk_update(objs, fields, *args, **kwargs)

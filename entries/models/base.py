"""What every content model shares: bulk writes that tell the caches what changed, and the
URLs of entries and topics per language."""

from functools import lru_cache

from django.conf import settings
from django.db import models
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation


@lru_cache(maxsize=64)
def _slug_url_parts(view_name, script_prefix, urlconf, language):
    """The URL of `view_name` around its slug, e.g. ("/fr/entries/", "/"), for one URL
    configuration and language."""
    marker = "slug-marker"
    with translation.override(language):
        url = reverse(view_name, urlconf=urlconf, kwargs={"slug": marker})
    before, _, after = url.partition(marker)
    return before, after


def slug_url(view_name, slug, language):
    """reverse(view_name, kwargs={"slug": slug}) in `language`, reversed once per URL
    configuration and language, not once per object of a page."""
    # A request has set its URL configuration; the root one is read only outside requests
    # (a setting read costs as much as the rest of this, per card of a listing).
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    prefix, suffix = _slug_url_parts(view_name, get_script_prefix(), urlconf, language)
    return prefix + slug + suffix


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

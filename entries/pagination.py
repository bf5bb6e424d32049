"""Pagination that stays cheap with a hundred thousand entries.

- The count is kept per content version (any content change makes a new version), so a
  listing does not run `COUNT(*)` on every request.
- A deep page does not make the database read and throw away every row before it
  (`OFFSET 99990`): the page's first (pub_date, id) is found by walking the listing index from
  the nearer end, and the page is then read by seeking to it.
"""

import hashlib
import re

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.utils.functional import SimpleLazyObject, cached_property

from newsroom.cache import normalised_query
from newsroom.content_version import remembered_or_computed

# Below this offset, a plain OFFSET is as cheap as a seek.
SEEK_FROM = 500
# Below this offset, a page is read in the same query as the count (when the count is not
# kept): further on, the rows skipped cost the database more than the round trip saved (SQLite
# joins each skipped row's photo; the last page is otherwise read backwards, skipping none).
READ_WITH_COUNT_BELOW = 50
LISTING_ORDER = ("-pub_date", "-id")
# What a page number may look like: ASCII digits (or ListView's "last"). Python's `int()` also
# takes "1_0", " 1" and full-width or Arabic-Indic digits, each one more address of one page.
PAGE_NUMBER = re.compile(r"[0-9]{1,9}|last")


class LazyQuerySet(SimpleLazyObject):
    """A query set of `model` built by `build()` the first time anything but its model is read.
    Django's ListView and django-filter's FilterSet ask for the model of the query set they are
    given; a listing read by prepared queries (VersionedPaginator's `pages`) reads nothing else."""

    def __init__(self, model, build):
        super().__init__(build)
        self.__dict__["model"] = model


class VersionedPaginator(Paginator):
    """Its count is kept in the cache until a change names one of `count_keys` (the keys of
    the entries it counts, entries.cache_keys)."""

    def __init__(
        self, object_list, per_page, *, count_key=None, count_keys=(), pages=None, **kwargs
    ):
        # Optional `(newest_first, oldest_first, count, counted_page)`: functions of
        # (offset, limit) giving the rows `object_list` would, of nothing giving its count,
        # and of (offset, limit) giving `(rows, count or None)` in one query, read by prepared
        # queries (newsroom.prepared). Without `oldest_first` the rows are in an order of
        # their own (a search's): read from the start, never by seeking.
        self.pages = pages
        self.asked = None  # the page number page() was given, as given
        self.read_ahead = None  # (offset, rows) read with the count
        super().__init__(object_list, per_page, **kwargs)
        self.count_key = count_key
        self.count_keys = count_keys

    def _check_object_list_is_ordered(self):
        if not self.pages:  # prepared pages are read in the order they were prepared with
            super()._check_object_list_is_ordered()

    @cached_property
    def count(self):
        if not self.count_key:
            return self.count_rows()
        digest = hashlib.md5(self.count_key.encode(), usedforsecurity=False).hexdigest()
        # With the cache down, counted in the database.
        return remembered_or_computed(
            f"count:{digest}", self.count_keys, self.count_rows, settings.PAGE_CACHE_SECONDS
        )

    def count_rows(self):
        """The count, from the database. When the page asked for is one of the first few, it
        is read in the same query as the count and kept for `_slice`."""
        if not self.pages:
            return super().count
        asked = str(self.asked)
        if self.pages[3] and asked.isdigit():
            bottom = (int(asked) - 1) * self.per_page
            if 0 <= bottom < READ_WITH_COUNT_BELOW:
                rows, count = self.pages[3](bottom, self.per_page + self.orphans)
                if count is not None:
                    self.read_ahead = (bottom, rows)
                    return count
        return self.pages[2]()

    def page(self, number):
        self.asked = number
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self._slice(bottom, top), number, self)

    def _slice(self, bottom, top):
        if self.read_ahead and self.read_ahead[0] == bottom:
            # Read with the count, as many rows as a page can hold (orphans included).
            return self.read_ahead[1][: top - bottom]
        if self.pages and self.pages[1] is None:
            return self.pages[0](bottom, top - bottom)
        qs = self.object_list
        if self.pages:
            # Newest first, and oldest first when read backwards (see __init__).
            seekable = True
        else:
            seekable = (
                hasattr(qs, "query")
                and tuple(qs.query.order_by or qs.model._meta.ordering) == LISTING_ORDER
                and not qs.query.distinct
            )
        from_end = self.count - top
        if not seekable or min(bottom, from_end) < SEEK_FROM:
            if seekable and from_end < bottom:
                # Near the end: read backwards from the oldest entry.
                if self.pages:
                    return self.pages[1](from_end, top - bottom)[::-1]
                return list(qs.order_by("pub_date", "id")[from_end : self.count - bottom])[::-1]
            if seekable and self.pages:
                return self.pages[0](bottom, top - bottom)
            return qs[bottom:top]
        if bottom <= from_end:
            # The page's newest entry, found through the index alone, then seek down from it.
            first = qs.values_list("pub_date", "id")[bottom]
            return qs.filter(
                Q(pub_date__lt=first[0]) | Q(pub_date=first[0], id__lte=first[1]),
                pub_date__lte=first[0],  # a bound the index scan can start from
            )[: top - bottom]
        # The page's oldest entry, found from the far end, then seek up from it.
        last = qs.order_by("pub_date", "id").values_list("pub_date", "id")[from_end]
        rows = qs.filter(
            Q(pub_date__gt=last[0]) | Q(pub_date=last[0], id__gte=last[1]),
            pub_date__gte=last[0],
        )
        return list(rows.order_by("pub_date", "id")[: top - bottom])[::-1]


class VersionedPaginationMixin:
    """For list views: the paginator above, its count keyed by the URL minus the page.

    Only the query parameters the view understands (`query_parameters()`) make the key, and
    only while they are valid (`query_is_valid()`): junk in a query string must not make a
    stored count of its own."""

    paginator_class = VersionedPaginator

    def query_parameters(self):
        return {self.page_kwarg}

    def query_is_valid(self):
        return True

    def count_keys(self):
        """The cache keys of what the count counts: a change naming one recounts."""
        return ()

    def listing_pages(self):
        """`(newest_first, oldest_first, count, counted_page)` for the paginator
        (VersionedPaginator), or None."""
        return None

    def get_paginator(self, queryset, per_page, **kwargs):
        key = None
        if self.query_is_valid():
            known = self.query_parameters() - {self.page_kwarg}
            query = "&".join(
                f"{name}={value}" for name, value in self.request.GET.items() if name in known
            )
            key = f"{self.request.path}?{normalised_query(query)}"
        return super().get_paginator(
            queryset,
            per_page,
            count_key=key,
            count_keys=self.count_keys(),
            pages=self.listing_pages(),
            **kwargs,
        )

    def paginate_queryset(self, queryset, page_size):
        number = self.kwargs.get(self.page_kwarg) or self.request.GET.get(self.page_kwarg)
        if number and not PAGE_NUMBER.fullmatch(str(number)):
            raise Http404("A page number is made of the digits 0-9.")
        return super().paginate_queryset(queryset, page_size)

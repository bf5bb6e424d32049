from django.conf import settings
from django.views.generic import DetailView, ListView

from .models import Entry
from .pagination import VersionedPaginationMixin

LISTING_DEFERRED = ["body", "created", "updated", "image__created", "image__updated"]


class PublishedEntryMixin:
    """Every public view starts from the published entries only."""

    def get_queryset(self):
        return Entry.objects.published().select_related("image")


class EntryListView(VersionedPaginationMixin, PublishedEntryMixin, ListView):
    """All published entries, newest first. Bad page numbers are 404s (ListView's own rule)."""

    def get_queryset(self):
        # Listings never show the body or the bookkeeping times: not read, not converted.
        return super().get_queryset().defer(*LISTING_DEFERRED)

    def get_paginate_by(self, queryset):
        return settings.ENTRIES_PER_PAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        context["page_range"] = page.paginator.get_elided_page_range(page.number)
        return context


class EntryDetailView(PublishedEntryMixin, DetailView):
    def get_queryset(self):
        return super().get_queryset().prefetch_related("topics")

    def get_context_data(self, **kwargs):
        published = Entry.objects.published()
        return super().get_context_data(
            previous_entry=published.before(self.object).first(),
            next_entry=published.after(self.object).first(),
            **kwargs,
        )

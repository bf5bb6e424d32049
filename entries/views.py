from datetime import datetime
from uuid import UUID

from django.conf import settings
from django.contrib.sitemaps.views import sitemap as django_sitemap
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView

from newsroom.cache import accept_query
from newsroom.prepared import COUNT_ROWS, PreparedCountedPage, PreparedQuery, PreparedUnion
from newsroom.surrogate import add_keys

from . import cache_keys, highlighting, languages, search, suggestions
from .filters import EntryFilter
from .models import RELATED_ENTRIES, Entry, OldSlug, Topic
from .models.entry import next_publication_along
from .pagination import LazyQuerySet, VersionedPaginationMixin
from .prepared_search import PreparedSearch


class PublishedEntryMixin:
    """Every public view starts from the published entries in the page's language only."""

    def get_queryset(self):
        return Entry.objects.published().in_language().select_related("image")


class EntryListView(VersionedPaginationMixin, PublishedEntryMixin, ListView):
    """Published entries, newest first (best match first for a text query), filtered by the
    query string through `EntryFilter`. Bad page numbers are 404s (ListView's own rule); bad
    filter values are a 400 showing the form's errors and no entries."""

    filterset_class = EntryFilter
    pages = None  # see prepared_pages()

    def get_queryset(self):
        # Built only if something reads it: when the page's rows and count come from prepared
        # queries, nothing does (building it anyway was 6-8 % of an uncached listing, topic or
        # search page's instructions).
        queryset = self.listing = LazyQuerySet(Entry, self.get_listing_queryset)
        self.filterset = self.get_filterset(queryset)
        if not self.filterset.is_valid():
            return queryset.none()
        self.pages = self.prepared_pages()
        if self.pages is not None:
            # The page's rows and the count are read by prepared queries: the filtered
            # queryset need not be built (the paginator seeks within the listing's).
            return queryset
        return self.filterset.qs

    def get_listing_queryset(self):
        # Only what a card shows is read and turned into Python for every row of the page:
        # no body, no search vector, no bookkeeping (on SQLite each date and UUID column is
        # parsed in Python, row by row).
        return super().get_queryset().only(*CARD_FIELDS)

    def get_filterset(self, queryset):
        return self.filterset_class(self.request.GET, queryset=queryset, request=self.request)

    def query_parameters(self):
        return {*self.filterset.filters, self.page_kwarg}

    def query_is_valid(self):
        return self.filterset.is_valid()

    def count_keys(self):
        topic = getattr(self, "topic", None)
        return cache_keys.count_keys(topic=topic, searched=bool(self.filterset.query))

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # The page may be stored only when its query string is made of these parameters.
        accept_query(request, self.query_parameters())
        return response

    def get_paginate_by(self, queryset):
        return settings.ENTRIES_PER_PAGE

    def listing_pages(self):
        return self.pages

    def prepared_pages(self):
        """Rows and count by prepared queries (newsroom.prepared), compiled once per view:
        without filter values, those of the listing queryset itself; with a text query
        alone, those of its search (entries.prepared_search). Otherwise None."""
        if self.filterset.is_active:
            query = self.filterset.text_query_alone
            if not query:
                return None
            searches = _SEARCHES.get(type(self))
            if searches is None:
                searches = _SEARCHES[type(self)] = PreparedSearch(
                    type(self).prepared_listing, **self.prepared_inputs
                )
            return searches.pages(query, **self.prepared_values())
        queries = _LISTING_PAGES.get(type(self))
        if queries is None:
            queries = _LISTING_PAGES[type(self)] = self.prepare_listing_pages()
        newest_first, oldest_first, count, counted_page = queries
        values = self.prepared_values()
        return (
            lambda offset, limit: newest_first.objects(offset=offset, limit=limit, **values),
            lambda offset, limit: oldest_first.objects(offset=offset, limit=limit, **values),
            lambda: count.rows(**values)[0][0],
            lambda offset, limit: counted_page.objects(offset=offset, limit=limit, **values),
        )

    prepared_inputs = {}

    def prepared_values(self):
        return {}

    @classmethod
    def prepared_listing(cls, **values):
        """`get_listing_queryset()` of a view given `prepared_values()` only."""
        return cls().get_listing_queryset()

    @classmethod
    def prepare_listing_pages(cls):
        def ordered(order):
            return lambda **values: cls.prepared_listing(**values).order_by(*order)

        def counted(**values):
            return cls.prepared_listing(**values).order_by().values_list(COUNT_ROWS)

        return (
            *(
                PreparedQuery(ordered(order), window=True, **cls.prepared_inputs)
                for order in LISTING_ORDERS
            ),
            PreparedQuery(counted, **cls.prepared_inputs),
            PreparedCountedPage(
                ordered(LISTING_ORDERS[0]),
                counted,
                along=next_publication_along(),
                **cls.prepared_inputs,
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = context["page_obj"]
        context["page_range"] = page.paginator.get_elided_page_range(page.number)
        context["filter"] = self.filterset
        context["highlight"] = highlighting.highlight_pattern(self.filterset.query)
        context["search_cap"] = search.result_cap()
        if self.filterset.query and not page.paginator.count:
            context["suggestion"] = suggestions.suggest(self.filterset.query, self.listing)
        return context

    def render_to_response(self, context, **response_kwargs):
        if not self.filterset.is_valid():
            response_kwargs.setdefault("status", 400)
        response = super().render_to_response(context, **response_kwargs)
        # The page's entries, read once: the template iterates the same evaluated list.
        keys = cache_keys.listing_page_keys(
            context["object_list"],
            topic=getattr(self, "topic", None),
            searched=bool(self.filterset.query),
        )
        return add_keys(response, keys)


class TopicEntryListView(EntryListView):
    """One topic's entries, in the same format as the main listing."""

    template_name = "entries/topic_detail.html"

    def get_queryset(self):
        # get_object_or_404(Topic, slug=...) and its other language versions, in one query
        # compiled once (newsroom.prepared).
        slug, language = self.kwargs["slug"], get_language()
        versions = _TOPIC_VERSIONS.objects(slug=slug)
        found = [topic for topic in versions if topic.slug == slug and topic.language == language]
        if len(found) != 1:
            raise Http404 if not found else Topic.MultipleObjectsReturned()
        self.topic = found[0]
        self.translations = [topic for topic in versions if topic.pk != self.topic.pk]
        return super().get_queryset()

    def get_listing_queryset(self):
        return super().get_listing_queryset().filter(topics=self.topic)

    prepared_inputs = {"topic": int}

    def prepared_values(self):
        return {"topic": self.topic.pk}

    @classmethod
    def prepared_listing(cls, topic):
        view = cls()
        view.topic = Topic(pk=topic)
        return view.get_listing_queryset()

    def get_filterset(self, queryset):
        filterset = super().get_filterset(queryset)
        del filterset.filters["topic"]  # the page already is the topic
        return filterset

    def get_context_data(self, **kwargs):
        alternates = languages.alternates_of(self.topic, self.translations)
        return super().get_context_data(topic=self.topic, alternates=alternates, **kwargs)


class TopicListView(ListView):
    """Topics with published entries, with how many each has."""

    def get_queryset(self):
        return Topic.objects.in_language().with_published_counts().filter(entry_count__gt=0)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        return add_keys(response, cache_keys.topic_list_page_keys())


class EntryDetailView(PublishedEntryMixin, DetailView):
    def get_queryset(self):
        return super().get_queryset().prefetch_related("topics")

    def get_object(self, queryset=None):
        # DetailView's lookup by slug, its SQL compiled once (newsroom.prepared). A subclass
        # with a queryset of its own (the staff preview) looks up as DetailView does.
        if queryset is not None or type(self).get_queryset is not EntryDetailView.get_queryset:
            return super().get_object(queryset)
        found = _PUBLIC_ENTRY.objects(slug=self.kwargs[self.slug_url_kwarg])
        if len(found) != 1:
            raise Http404 if not found else Entry.MultipleObjectsReturned()
        return found[0]

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # An address the entry had before its slug changed: a permanent redirect.
            old = OldSlug.objects.filter(
                language=get_language(),
                slug=kwargs["slug"],
                entry__in=Entry.objects.published().in_language(),
            ).select_related("entry")
            moved = old.first()
            if moved is None:
                raise
            return redirect(moved.entry, permanent=True)

    def get_context_data(self, **kwargs):
        entry = self.object
        neighbours, translations = self.links(entry)
        return super().get_context_data(
            **neighbours,
            translations=translations,
            alternates=languages.alternates_of(entry, translations),
            **kwargs,
        )

    @staticmethod
    def neighbours(entry):
        """The older, newer and related entries shown around `entry`, in its language."""
        return EntryDetailView.links(entry)[0]

    @staticmethod
    def links(entry):
        """The entries `entry`'s page links to, in one query: its neighbours (as neighbours()
        gives them) and its other language versions. The prepared queries are those of the
        entry's language: a preview may be read under another address."""
        with translation.override(entry.language):
            previous, following, related, translations = _ENTRY_LINKS.objects(
                pub_date=entry.pub_date, pk=entry.pk, key=entry.translation_key
            )
        neighbours = {
            "previous_entry": next(iter(previous), None),
            "next_entry": next(iter(following), None),
            # In the related query's order, which a UNION ALL does not keep.
            "related_entries": sorted(related, key=lambda e: (e.pub_date, e.pk), reverse=True),
        }
        return neighbours, translations

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        linked = [context["previous_entry"], context["next_entry"], *context["related_entries"]]
        return add_keys(response, cache_keys.entry_page_keys(self.object, linked))


# What a listing card (templates/jinja2/entries/includes/entry_card.html) shows: the entry's
# date, headline, summary and address, and its photo with the photo's public line.
CARD_FIELDS = (
    "headline",
    "slug",
    "pub_date",
    "summary",
    "language",
    "image__file",
    "image__caption",
    "image__alt_text",
    "image__translations",
    "image__original_name",
    "image__width",
    "image__height",
    "image__file_size",
    "image__rendition_sources",
)
# The links to other entries show a headline and a date: no body or search vector.
LINK_FIELDS = ("headline", "slug", "pub_date", "language")


def _neighbour_query(pick):
    def build(pub_date, pk):
        published = Entry.objects.published().in_language().only(*LINK_FIELDS)
        return pick(published, Entry(pk=pk, pub_date=pub_date))

    return PreparedQuery(build, pub_date=datetime, pk=int)


# The entry page's queries, compiled once (newsroom.prepared): building and compiling them was
# most of what an uncached entry page cost.
_PUBLIC_ENTRY = PreparedQuery(
    lambda slug: EntryDetailView().get_queryset().filter(slug=slug).order_by()[:2],
    prefetch={"topics": PreparedQuery(lambda pk: Entry(pk=pk).topics.all(), pk=int)},
    slug=str,
)
# A listing's pages without filters, newest first and oldest first, by view class.
LISTING_ORDERS = (("-pub_date", "-id"), ("pub_date", "id"))
_LISTING_PAGES = {}
# A listing's searches (a text query alone), by view class.
_SEARCHES = {}
# The topic of a slug in the page's language and every language version of it.
_TOPIC_VERSIONS = PreparedQuery(
    lambda slug: Topic.objects.filter(
        translation_key__in=Topic.objects.in_language().filter(slug=slug).values("translation_key")
    ).order_by(),
    slug=str,
)
# The other language versions an entry or topic page links to.
_ENTRY_TRANSLATIONS = PreparedQuery(
    lambda key, pk: (
        Entry.objects.published()
        .translations_of(Entry(pk=pk, translation_key=key))
        .only(*LINK_FIELDS)
    ),
    key=UUID,
    pk=int,
)
_PREVIOUS_ENTRY = _neighbour_query(lambda published, entry: published.before(entry)[:1])
_NEXT_ENTRY = _neighbour_query(lambda published, entry: published.after(entry)[:1])
_RELATED_ENTRIES = _neighbour_query(
    lambda published, entry: published.related_to(entry)[:RELATED_ENTRIES]
)
# Everything an entry page links to, in one round trip on every database.
_ENTRY_LINKS = PreparedUnion(_PREVIOUS_ENTRY, _NEXT_ENTRY, _RELATED_ENTRIES, _ENTRY_TRANSLATIONS)


def sitemap(request, **kwargs):
    return add_keys(django_sitemap(request, **kwargs), cache_keys.SITEMAP_PAGE_KEYS)


@require_safe
def entry_by_id(request, pk):
    """`/entries/id/<pk>/`, the address body links to other entries use: a permanent redirect
    to the entry's current address, whatever its slug has become."""
    entry = get_object_or_404(Entry.objects.published().only("slug"), pk=pk)
    return redirect(entry, permanent=True)


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("site:sitemap"))
    lines = ["User-agent: *", "Disallow: /admin/", f"Sitemap: {sitemap}", ""]
    response = HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
    return add_keys(response, cache_keys.OTHER_PAGE_KEYS)

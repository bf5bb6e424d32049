"""The pages the benchmark loads, found from the data so pages added later join in by themselves.

Each finder returns a URL or None; a URL that answers 404 (the page does not exist on this
branch yet) is reported as skipped. The pages without a `fr_` prefix are the default
language's (`/`, as before languages); the `fr_` ones are the same pages in the second
configured language (`/fr/`), to compare with them in the same run.
"""

from django.urls import NoReverseMatch, reverse


def _first_reverse(names, **kwargs):
    for name in names:
        try:
            return reverse(name, kwargs=kwargs or None)
        except NoReverseMatch:
            continue
    return None


def _default_language():
    from django.conf import settings

    return settings.LANGUAGE_CODE


def _second_language():
    """The first configured language after the default one (French), or None."""
    from django.conf import settings

    others = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
    return others[0] if others else None


def _entries(language):
    from entries.models import Entry

    return Entry.objects.published().in_language(language).order_by("-pub_date", "-id")


def listing():
    return "/"


def listing_page_19():
    return "/?page=19"


def last_page():
    from django.conf import settings

    count = _entries(_default_language()).count()
    return f"/?page={max(1, -(-count // settings.ENTRIES_PER_PAGE))}"


def entry_page(language=None):
    entry = _entries(language or _default_language())[5:6].first()
    return entry.get_absolute_url() if entry else None


def topic_page():
    from django.db.models import Count

    from entries.models import Topic

    topics = Topic.objects.in_language(_default_language())
    topic = topics.annotate(n=Count("entries")).order_by("-n").first()
    if topic is None:
        return None
    if hasattr(topic, "get_absolute_url"):
        return topic.get_absolute_url()
    return _first_reverse(
        ["entries:topic_detail", "entries:topic", "entries:topic_entries"], slug=topic.slug
    )


def search_page():
    # A search page of its own if there is one, else the listing's `?q=` filter.
    url = _first_reverse(["entries:search", "search"])
    return f"{url or '/'}?q=union"


def fr_listing():
    """The second language's listing, `/fr/`: issue 13 wants it within 10% of `/`."""
    from entries.languages import url_in

    language = _second_language()
    return url_in("entries:entry_list", language) if language else None


def fr_entry():
    """An entry page in the second language (the sixth newest French one)."""
    language = _second_language()
    return entry_page(language) if language else None


def feed():
    """The site's RSS feed: with the topic's feeds, rendered again on every publish."""
    return _first_reverse(["entries:feed_rss"])


def topic_feed():
    url = topic_page()
    return f"{url}feed.atom" if url else None


PAGES = {
    "listing": listing,
    "listing_page_19": listing_page_19,
    "entry": entry_page,
    "topic": topic_page,
    "search": search_page,
    "fr_listing": fr_listing,
    "fr_entry": fr_entry,
    "feed": feed,
    "topic_feed": topic_feed,
}

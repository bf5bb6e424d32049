"""The pages the benchmark loads, found from the data so pages added later join in by themselves.

Each finder returns a URL or None; a URL that answers 404 (the page does not exist on this
branch yet) is reported as skipped.
"""

from django.urls import NoReverseMatch, reverse


def _first_reverse(names, **kwargs):
    for name in names:
        try:
            return reverse(name, kwargs=kwargs or None)
        except NoReverseMatch:
            continue
    return None


def listing():
    return "/"


def listing_page_19():
    return "/?page=19"


def last_page():
    from django.conf import settings

    from entries.models import Entry

    count = Entry.objects.published().count()
    return f"/?page={max(1, -(-count // settings.ENTRIES_PER_PAGE))}"


def entry_page():
    from entries.models import Entry

    entry = Entry.objects.published().order_by("-pub_date", "-id")[5:6].first()
    return entry.get_absolute_url() if entry else None


def topic_page():
    from django.db.models import Count

    from entries.models import Topic

    topic = Topic.objects.annotate(n=Count("entries")).order_by("-n").first()
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


PAGES = {
    "listing": listing,
    "listing_page_19": listing_page_19,
    "entry": entry_page,
    "topic": topic_page,
    "search": search_page,
}

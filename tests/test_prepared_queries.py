"""Queries compiled once (newsroom.prepared) find what the querysets they stand for find."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from entries import feeds, search
from entries.models import RELATED_ENTRIES, Entry
from entries.prepared_search import PREPARED_WORDS, PreparedSearch
from entries.views import (
    _ENTRY_TRANSLATIONS,
    _TOPIC_VERSIONS,
    LINK_FIELDS,
    EntryDetailView,
    EntryListView,
    TopicEntryListView,
)
from newsroom.prepared import PreparedCountedPage, PreparedQuery, PreparedUnion

from .factories import make_entry, make_image, make_topic, make_translation

pytestmark = pytest.mark.django_db


def test_neighbours_are_those_of_the_querysets():
    topic, other = make_topic(), make_topic()
    now = timezone.now()
    same_time = now - timedelta(days=3)
    entries = [
        make_entry(pub_date=same_time),
        make_entry(pub_date=same_time),  # same date: the id decides the order
        make_entry(pub_date=now - timedelta(days=5)),
        make_entry(pub_date=now - timedelta(days=1)),
        make_entry(pub_date=now + timedelta(days=1)),  # scheduled: no one's neighbour
        make_entry(pub_date=now - timedelta(days=7), status=Entry.Status.DRAFT),
    ]
    for number, entry in enumerate(entries):
        entry.topics.add(topic if number % 2 else other)
    entries[0].topics.add(topic)
    published = Entry.objects.published().only("headline", "slug", "pub_date")
    for entry in entries:
        found = EntryDetailView.neighbours(entry)
        assert found["previous_entry"] == published.before(entry).first()
        assert found["next_entry"] == published.after(entry).first()
        assert found["related_entries"] == list(published.related_to(entry)[:RELATED_ENTRIES])


def test_a_union_gives_each_query_its_own_rows_in_one_round_trip(django_assert_num_queries):
    now = timezone.now()
    entries = [make_entry(pub_date=now - timedelta(days=n)) for n in range(5)]

    def part(order, limit):
        return PreparedQuery(
            lambda pk: Entry.objects.exclude(pk=pk).only(*LINK_FIELDS).order_by(order)[:limit],
            pk=int,
        )

    newest, oldest = part("-pub_date", 2), part("pub_date", 1)
    with django_assert_num_queries(1):
        found = PreparedUnion(newest, oldest).objects(pk=entries[0].pk)
    # Each query's rows (in an order the union does not promise).
    assert [set(rows) for rows in found] == [set(entries[1:3]), {entries[-1]}]
    whole = PreparedQuery(lambda pk: Entry.objects.filter(pk=pk), pk=int)
    with pytest.raises(ImproperlyConfigured):
        PreparedUnion(newest, whole).objects(pk=1)  # different columns


def test_instances_are_those_django_builds():
    """Prepared queries fill instances themselves (newsroom.prepared._InstanceBuilder): the
    same field values, related instances, deferred fields and state as Django's own."""
    for number in range(3):
        make_entry(image=make_image() if number else None)

    def listing():
        return Entry.objects.published().select_related("image").defer("body").order_by("pk")

    def state(obj):
        fields = {k: v for k, v in vars(obj).items() if k != "_state"}
        return fields, obj._state.adding, obj._state.db, obj._state.fetch_mode

    prepared, expected = PreparedQuery(listing).objects(), list(listing())
    assert [state(e) for e in prepared] == [state(e) for e in expected]
    for found, wanted in zip(prepared, expected, strict=True):
        assert found.get_deferred_fields() == wanted.get_deferred_fields() == {"body"}
        if wanted.image is None:
            assert found.image is None
            continue
        assert state(found.image) == state(wanted.image)
        # The image field's post_init receiver ran (it turns the stored name into a file).
        assert type(vars(found.image)["file"]) is type(vars(wanted.image)["file"])
        assert found.image.file.name == wanted.image.file.name


def test_post_init_reaches_the_receivers_connected_at_each_run():
    """The builders look post_init's receivers up once per run, not once per instance: a
    receiver connected after the query was prepared hears of every instance, and one
    disconnected hears of none."""
    from django.db.models.signals import post_init

    images = [make_image() for _ in range(2)]
    for image in images:
        make_entry(image=image)
    listing = PreparedQuery(lambda: Entry.objects.select_related("image").order_by("pk"))
    listing.objects()  # prepared before anything listens
    heard = []

    def receiver(sender, instance, **kwargs):
        heard.append((sender, instance.__dict__.get("id"), instance._state.adding))

    post_init.connect(receiver, sender=Entry)
    post_init.connect(receiver, sender=images[0].__class__)
    try:
        found = listing.objects()
    finally:
        post_init.disconnect(receiver, sender=Entry)
        post_init.disconnect(receiver, sender=images[0].__class__)
    entry_ids = [entry.pk for entry in found]
    # Sent as Model.__init__ sends it: the values in place, before from_db marks it read.
    assert sorted(h for h in heard if h[0] is Entry) == [(Entry, pk, True) for pk in entry_ids]
    assert sorted(h[1] for h in heard if h[0] is not Entry) == sorted(i.pk for i in images)
    heard.clear()
    listing.objects()
    assert heard == []


def test_a_lookup_reads_the_time_of_each_run():
    lookup = PreparedQuery(
        lambda slug: Entry.objects.published().filter(slug=slug).select_related("image"),
        slug=str,
    )
    entry = make_entry(pub_date=timezone.now() + timedelta(hours=1), image=make_image())
    assert lookup.objects(slug=entry.slug) == []
    Entry.objects.filter(pk=entry.pk).update(pub_date=timezone.now() - timedelta(seconds=1))
    [found] = lookup.objects(slug=entry.slug)
    assert found == entry
    assert found.image.caption == entry.image.caption  # select_related filled in


def test_values_read_outside_the_inputs_are_refused():
    reads_the_clock = PreparedQuery(
        lambda pk: Entry.objects.filter(pk=pk, pub_date__lte=timezone.now()), pk=int
    )
    with pytest.raises(ImproperlyConfigured):
        reads_the_clock.objects(pk=1)


def test_inputs_that_change_the_sql_are_refused():
    shape_changes = PreparedQuery(
        lambda when: (
            Entry.objects.filter(pub_date__lte=when) if when.second % 2 else Entry.objects.all()
        ),
        when=datetime,
    )
    with pytest.raises(ImproperlyConfigured):
        shape_changes.rows(when=timezone.now())


def test_entry_page_reads_the_entry_its_topics_and_neighbours_once_each(
    client, settings, django_assert_num_queries
):
    settings.PAGE_CACHE = False
    first, second = make_topic(name="Beta"), make_topic(name="Alpha")
    older, entry = make_entry(), make_entry(pub_date=timezone.now() - timedelta(hours=1))
    entry.topics.add(first, second)
    older.topics.add(first)
    client.get(entry.get_absolute_url())  # the content version and the count are kept
    # The entry, its topics, and in one query (a UNION ALL) everything it links to: its
    # versions in the other languages (the language switcher), the older and newer entry and
    # the related entries.
    with django_assert_num_queries(3):
        page = client.get(entry.get_absolute_url()).content.decode()
    # Both topics, in the topics' own order, as prefetch_related gave them.
    assert (
        "Topics: "
        + ", ".join(f'<a href="{t.get_absolute_url()}">{t.name}</a>' for t in entry.topics.all())
        in page
    )
    assert older.headline in page


SEARCH_QUERIES = [
    "harbour",
    "HARBOUR cranes",
    "harbour cranes dawn",
    "harbour cranes dawn ships",
    "harbour cranes dawn ships left",  # more words than are prepared: the queryset's way
    "100%",
    "snake_case",
    '"harbour cranes" -dawn',
    "!!!",
]


@pytest.mark.parametrize("query", SEARCH_QUERIES)
def test_prepared_searches_find_what_the_search_queryset_finds(query):
    topic = make_topic()
    now = timezone.now()
    texts = [
        {"headline": "Harbour cranes at dawn"},
        {"summary": "Ships left the harbour at dawn; cranes idle."},
        {"body": "<p>100% of the <strong>harbour</strong> cranes</p>"},
        {"body": "A snake_case word and a snakeXcase one, 100 percent."},
        {"image": make_image(caption="Cranes over the harbour")},
        {"headline": "Harbour", "pub_date": now + timedelta(hours=1)},  # scheduled
        {"headline": "Harbour", "status": Entry.Status.DRAFT},
    ]
    for number, fields in enumerate(texts * 2):
        entry = make_entry(**{"pub_date": now - timedelta(hours=number), **fields})
        if number % 2:
            entry.topics.add(topic)
    cases = [(EntryListView, {}), (TopicEntryListView, {"topic": topic.pk})]
    for view, values in cases:
        expected = search.search(view.prepared_listing(**values), query)
        pages = PreparedSearch(view.prepared_listing, **view.prepared_inputs).pages(query, **values)
        if pages is None:  # not prepared: the view builds the queryset
            assert len(search.words(query)) > PREPARED_WORDS or not search.words(query)
            continue
        rows, oldest_first, count, counted_rows = pages
        assert oldest_first is None  # a search's order is its own
        assert count() == expected.count()
        for offset, limit in ((0, 3), (3, 3), (0, 50)):
            found = rows(offset, limit)
            wanted = list(expected[offset : offset + limit])
            assert [(e.pk, e.rank) for e in found] == [(e.pk, e.rank) for e in wanted]
            assert [e.image for e in found] == [e.image for e in wanted]  # select_related
            # The same page with the count, in one query.
            with_count, counted = counted_rows(offset, limit)
            assert [(e.pk, e.rank) for e in with_count] == [(e.pk, e.rank) for e in wanted]
            assert counted == (expected.count() if wanted else None)
            assert not any(hasattr(e, PreparedCountedPage.COLUMN) for e in with_count)


def test_a_counted_page_is_the_page_and_the_count_of_the_listing(django_assert_num_queries):
    topic = make_topic()
    entries = [make_entry(image=make_image() if n % 2 else None) for n in range(7)]
    for entry in entries[::2]:
        entry.topics.add(topic)
    make_entry(status=Entry.Status.DRAFT).topics.add(topic)  # counted by neither
    for view, values, listed in (
        (EntryListView, {}, entries),
        (TopicEntryListView, {"topic": topic.pk}, entries[::2]),
    ):
        newest_first, _oldest_first, count, counted_page = view.prepare_listing_pages()
        listed = sorted(listed, key=lambda e: (e.pub_date, e.pk), reverse=True)
        for offset, limit in ((0, 3), (3, 3), (0, 50), (len(listed), 3)):
            with django_assert_num_queries(1):
                found, counted = counted_page.objects(offset=offset, limit=limit, **values)
            assert found == newest_first.objects(offset=offset, limit=limit, **values)
            assert found == listed[offset : offset + limit]
            assert [e.image for e in found] == [e.image for e in listed[offset : offset + limit]]
            # No rows, no count: past the end the count is read on its own.
            assert counted == (len(listed) if found else None)
            assert count.rows(**values) == [(len(listed),)]


def test_translations_are_those_of_the_querysets():
    entry, topic = make_entry(), make_topic()
    published = make_translation(entry, "fr")
    make_translation(entry, "de", status=Entry.Status.DRAFT)
    topic_version = make_translation(topic, "fr")
    assert _ENTRY_TRANSLATIONS.objects(key=entry.translation_key, pk=entry.pk) == [published]
    assert _ENTRY_TRANSLATIONS.objects(key=published.translation_key, pk=published.pk) == [entry]
    # A topic page reads its topic (by slug, in the page's language) and its other versions in
    # one query; an unrelated topic with the same slug in another language is not one of them.
    make_topic(slug=topic.slug, language="fr")
    assert set(_TOPIC_VERSIONS.objects(slug=topic.slug)) == {topic, topic_version}
    assert list(topic.translations()) == [topic_version]


def test_a_search_page_reads_as_few_queries_as_the_listing(client, django_assert_num_queries):
    for number in range(12):
        make_entry(headline=f"Harbour {number}")
    for path in ("/", "/?q=harbour", "/?q=harbour&page=2"):
        client.get(path)  # the content version, the count and the topics are kept
        # The page's entries.
        with django_assert_num_queries(1):
            client.get(path)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
def test_postgresql_plans_a_public_page_query_once_per_connection(client):
    """Parameters are bound by the server, so the listing's query is one statement whatever the
    time and page: after its second run on a connection it is a prepared statement."""
    make_entry(headline="Harbour")
    # (The first request reads the page with its count, the others the page alone.)
    for path in ("/", "/?page=1", "/", "/?page=1"):
        assert client.get(path).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert any('FROM "entries_entry"' in statement for statement in statements), statements


def test_feeds_read_the_newest_published_entries_of_their_language_and_topic():
    topic = make_topic()
    on_topic = [make_entry(image=make_image()) for _ in range(3)]
    for entry in on_topic:
        entry.topics.add(topic)
    off_topic = make_entry()
    make_entry(status=Entry.Status.DRAFT).topics.add(topic)
    make_entry(pub_date=timezone.now() + timedelta(hours=1)).topics.add(topic)  # scheduled
    make_translation(off_topic, "fr")
    older = [make_entry() for _ in range(feeds.FEED_LENGTH)]

    newest = [*on_topic, off_topic, *older][: feeds.FEED_LENGTH]
    assert list(Entry.objects.published().in_language()[: feeds.FEED_LENGTH]) == newest
    assert feeds._LATEST.objects() == newest
    assert feeds._LATEST_ON_TOPIC.objects(topic=topic.pk) == on_topic
    # Each item's photo comes with it, and the search vector (unused by a feed) stays behind.
    item = feeds._LATEST_ON_TOPIC.objects(topic=topic.pk)[0]
    assert "image" in item._state.fields_cache
    assert item.get_deferred_fields() == {"search_vector"}

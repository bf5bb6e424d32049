"""The text query `q`: full-text search on PostgreSQL, a word match on SQLite."""

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from entries import highlighting, search, views
from entries.models import Entry, Image

from .factories import make_entry, make_image, make_topic
from .text import visible_text

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL"
)


def found(client, query):
    response = client.get("/", {"q": query})
    assert response.status_code == 200
    return [entry.headline for entry in response.context["entry_list"]]


@pytest.mark.parametrize(
    ("field", "where"),
    [
        ("headline", {"headline": "Harbour reopens"}),
        ("summary", {"summary": "The harbour reopened today."}),
        ("body", {"body": "Ships left the harbour at dawn."}),
    ],
)
def test_a_single_word_matches_each_text_field(client, field, where):
    make_entry(**{"headline": "Match", **where} if field != "headline" else where)
    make_entry(headline="Other", summary="Nothing here.", body="Nothing.")
    assert found(client, "harbour") == [where.get("headline", "Match")]


def test_the_image_caption_is_searched(client):
    make_entry(headline="Captioned", image=make_image(caption="Cranes at the harbour"))
    make_entry(headline="Other")
    assert found(client, "cranes") == ["Captioned"]


def test_drafts_and_future_entries_are_never_found(client):
    make_entry(headline="Harbour published")
    make_entry(headline="Harbour draft", status=Entry.Status.DRAFT)
    make_entry(headline="Harbour later", pub_date=timezone.now() + timedelta(hours=1))
    assert found(client, "harbour") == ["Harbour published"]


def test_results_say_how_many_matched_and_headline_matches_come_first(client):
    make_entry(headline="Budget talks", body="The harbour budget.", pub_date=timezone.now())
    make_entry(
        headline="Harbour budget", summary="Money.", pub_date=timezone.now() - timedelta(days=9)
    )
    make_entry(headline="Unrelated")
    response = client.get("/?q=harbour")
    assert "<h1>2 Entries</h1>" in response.text
    assert "2 entries match “harbour”, best match first." in visible_text(response.text)
    assert found(client, "harbour") == ["Harbour budget", "Budget talks"]


def test_every_word_must_match(client):
    make_entry(headline="Harbour reopens", summary="Ships return.")
    make_entry(headline="Harbour closes", summary="Storm warning.")
    assert found(client, "harbour storm") == ["Harbour closes"]


def test_matched_words_are_highlighted_in_the_summary_and_text_stays_escaped(client):
    make_entry(headline="Ports", summary="<b>Harbour</b> & harbours: a harbourmaster's view.")
    html = client.get("/?q=harbour").text
    summary = re.search(r'<p class="entry-summary">(.*?)</p>', html).group(1)
    assert summary == (
        "&lt;b&gt;<mark>Harbour</mark>&lt;/b&gt; &amp; <mark>harbours</mark>: "
        "a <mark>harbourmaster</mark>&#x27;s view."
    )


def test_a_query_cannot_inject_markup_through_highlighting(client):
    make_entry(headline="Amp", summary="Fish & chips, amp and <i>lt</i>.")
    html = client.get("/", {"q": "amp"}).text
    summary = re.search(r'<p class="entry-summary">(.*?)</p>', html).group(1)
    assert summary == "Fish &amp; chips, <mark>amp</mark> and &lt;i&gt;lt&lt;/i&gt;."


def test_the_query_is_escaped_where_it_is_shown(client):
    html = client.get("/", {"q": "<script>x</script>"}).text
    assert "<script>x" not in html
    assert "“&lt;script&gt;x&lt;/script&gt;”" in html


def test_highlight_escapes_every_piece_around_the_marks():
    pattern = highlighting.highlight_pattern("securite")
    assert str(highlighting.highlight('"Sécurité" & <b>sécurité\'s</b>', pattern)) == (
        "&quot;<mark>Sécurité</mark>&quot; &amp; &lt;b&gt;<mark>sécurité</mark>&#x27;s&lt;/b&gt;"
    )
    assert str(highlighting.highlight("<nothing>", pattern)) == "&lt;nothing&gt;"


def test_highlight_escapes_first():
    pattern = highlighting.highlight_pattern("amp")
    assert str(highlighting.highlight("a & amp <amp>", pattern)) == (
        "a &amp; <mark>amp</mark> &lt;<mark>amp</mark>&gt;"
    )


def test_a_query_of_symbols_only_finds_nothing(client):
    make_entry(headline="Anything")
    response = client.get("/?q=%22%27*%3C%3E")
    assert response.status_code == 200
    assert "<h1>0 Entries</h1>" in response.text


@postgres_only
def test_postgres_ranks_and_stems(client):
    make_entry(
        headline="Meetings of ministers",
        summary="Two meetings.",
        pub_date=timezone.now() - timedelta(days=5),
    )
    make_entry(headline="Other news", body="A meeting was held.", pub_date=timezone.now())
    # "meeting" and "meetings" share a stem; the headline match (weight A) ranks first,
    # although the other entry is newer.
    assert found(client, "meeting") == ["Meetings of ministers", "Other news"]
    assert "Two <mark>meetings</mark>." in client.get("/?q=meeting").text
    assert set(found(client, "meet")) == {"Meetings of ministers", "Other news"}


@postgres_only
def test_postgres_vector_is_stored_and_indexed():
    entry = make_entry(headline="Harbour", body="Cranes")
    entry.refresh_from_db()
    assert "harbour" in entry.search_vector and "crane" in entry.search_vector
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'entries_entry' "
            "AND indexname = 'entries_entry_search_vector_gin'"
        )
        assert "gin (search_vector)" in cursor.fetchone()[0]
        cursor.execute(
            "EXPLAIN SELECT id FROM entries_entry "
            "WHERE search_vector @@ websearch_to_tsquery('english', 'harbour')"
        )
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "to_tsvector" not in plan  # the stored column is used, not computed per row


@postgres_only
def test_postgres_vector_follows_bulk_updates_and_caption_changes(client):
    image = make_image(caption="Old caption")
    entry = make_entry(headline="Story", image=image)
    Entry.objects.filter(pk=entry.pk).update(body="Now about lighthouses.")
    assert found(client, "lighthouse") == ["Story"]
    Image.objects.filter(pk=image.pk).update(caption="Seagulls everywhere")
    assert found(client, "seagulls") == ["Story"]
    image.caption = "Pelicans"
    image.save()
    assert found(client, "pelicans") == ["Story"]
    assert found(client, "seagulls") == []


@postgres_only
def test_postgres_vector_is_filled_by_loaddata(tmp_path):
    fixture = Path(tmp_path) / "one.json"
    fixture.write_text(
        '[{"model": "entries.entry", "pk": 9001, "fields": {"headline": "Loaded lighthouse",'
        ' "slug": "loaded", "pub_date": "2020-01-01T00:00:00Z", "summary": "S", "body": "",'
        ' "status": "published", "created": "2020-01-01T00:00:00Z",'
        ' "updated": "2020-01-01T00:00:00Z", "topics": []}}]'
    )
    call_command("loaddata", fixture, verbosity=0)
    assert list(search.search(Entry.objects.all(), "lighthouse")) == [Entry.objects.get(pk=9001)]


@postgres_only
def test_postgres_generated_entries_get_the_vectors_the_trigger_would_store(client):
    # generate_entries skips the per-row trigger and joins vectors parsed once per pooled text.
    call_command("generate_entries", "40", stdout=io.StringIO())
    stored = dict(Entry.objects.values_list("pk", "search_vector"))
    assert len(stored) == 40 and None not in stored.values()
    Entry.objects.update(image_id=F("image_id"))  # the trigger computes them afresh
    assert dict(Entry.objects.values_list("pk", "search_vector")) == stored
    word = Entry.objects.first().headline.split()[0].lower()
    assert found(client, word)


@postgres_only
def test_postgres_deferral_is_limited_to_its_transaction():
    with transaction.atomic():
        with search.deferred_vectors():
            skipped = make_entry(headline="Deferred lighthouse")
        counted = make_entry(headline="Counted lighthouse")
    later = make_entry(headline="Later lighthouse")
    for entry in (skipped, counted, later):
        entry.refresh_from_db()
    assert skipped.search_vector is None
    assert "lighthous" in counted.search_vector and "lighthous" in later.search_vector


@postgres_only
def test_postgres_ranks_only_the_newest_matches_of_a_very_common_word(client, monkeypatch):
    monkeypatch.setattr(search, "RANKED", 3)
    monkeypatch.setattr(views, "_SEARCHES", {})  # prepared again, with the bound above
    now = timezone.now()
    old_topic = make_topic("Ports")
    old = make_entry(headline="Harbour harbour", pub_date=now - timedelta(days=9))
    old.topics.add(old_topic)
    make_entry(headline="Day 0", body="The harbour.", pub_date=now)
    make_entry(headline="Day 1 harbour", pub_date=now - timedelta(days=1))
    make_entry(headline="Day 2", body="The harbour.", pub_date=now - timedelta(days=2))
    make_entry(headline="Day 3", body="The harbour.", pub_date=now - timedelta(days=3))
    # The newest three matches, best first (a headline match outranks the newer body match);
    # the older, better match is beyond the bound.
    assert found(client, "harbour") == ["Day 1 harbour", "Day 0", "Day 2"]
    # The reader is told the list is cut, and how to reach the rest.
    assert "Only the 3 newest matches are listed" in client.get("/", {"q": "harbour"}).text
    # Filters narrow first, so the bound counts within them and older matches are reachable.
    response = client.get("/", {"q": "harbour", "topic": old_topic.slug})
    assert [entry.headline for entry in response.context["entry_list"]] == ["Harbour harbour"]
    # Below the bound every match is ranked.
    monkeypatch.setattr(search, "RANKED", 10)
    monkeypatch.setattr(views, "_SEARCHES", {})
    assert found(client, "harbour")[0] == "Harbour harbour"
    assert "newest matches are listed" not in client.get("/", {"q": "harbour"}).text

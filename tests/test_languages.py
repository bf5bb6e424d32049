"""The public site in English (no prefix) and French (`/fr/`): listings, entry pages, the
language switcher, hreflang, Open Graph and JSON-LD, sitemap, feeds and the page cache."""

import json
import re
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import feedparser
import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from entries.models import Entry, Image, Topic
from newsroom.content_version import version_store

from .factories import make_entry, make_image, make_translation
from .text import visible_text

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
NBSP = "\u00a0"
SITEMAP_NS = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
}


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the language switcher's links."""

    def __init__(self, text):
        super().__init__()
        self.tags = []
        self.in_switcher = 0
        self.switcher = []  # (tag, attrs) inside <nav class="language-switcher">
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "nav" and "language-switcher" in (attrs.get("class") or ""):
            self.in_switcher = 1
        elif self.in_switcher:
            if tag == "nav":
                self.in_switcher += 1
            self.switcher.append((tag, attrs))

    def handle_endtag(self, tag):
        if self.in_switcher and tag == "nav":
            self.in_switcher -= 1

    def hreflangs(self):
        """{hreflang: href} of the head's alternate links to this page in other languages."""
        return {
            a["hreflang"]: a["href"]
            for tag, a in self.tags
            if tag == "link" and a.get("rel") == "alternate" and "hreflang" in a
        }

    def meta(self, name):
        return [a["content"] for tag, a in self.tags if tag == "meta" and a.get("property") == name]

    def switcher_links(self):
        """{language: href} of the switcher's links (the current language is not a link)."""
        return {a["hreflang"]: a["href"] for tag, a in self.switcher if tag == "a"}

    def switcher_current(self):
        return [a["lang"] for tag, a in self.switcher if tag == "span" and "aria-current" in a]


def html_lang(text):
    return re.search(r'<html lang="([^"]+)">', text)[1]


@pytest.fixture
def story():
    """An English entry with a French version, an English-only entry, and a topic in both."""
    energy = Topic.objects.create(name="Energy", slug="energy")
    energie = make_translation(energy, name="Énergie", slug="energie")
    image = make_image(
        "240718a-001.jpg",
        caption="A meeting",
        alt_text="Ministers around a table",
        translations={"fr": {"caption": "Une réunion", "alt_text": "Des ministres à une table"}},
    )
    Image.objects.filter(pk=image.pk).update(file_size=101253)  # 98.88 KB
    image.refresh_from_db()
    english = make_entry(
        headline="Ministers meet",
        slug="ministers-meet",
        summary="They met and talked.",
        image=image,
        pub_date=datetime(2024, 9, 17, 10, 0, tzinfo=BRUSSELS),
    )
    english.topics.add(energy)
    french = make_translation(
        english,
        headline="Les ministres se réunissent",
        slug="les-ministres-se-reunissent",
        summary="Ils se sont rencontrés.",
    )
    french.topics.add(energie)
    only_english = make_entry(
        headline="Only in English",
        slug="only-in-english",
        pub_date=datetime(2024, 9, 16, 10, 0, tzinfo=BRUSSELS),
    )
    only_english.topics.add(energy)
    return {
        "english": english,
        "french": french,
        "only_english": only_english,
        "energy": energy,
        "energie": energie,
        "image": image,
    }


# Listings


def test_english_listing_counts_dates_and_kb_line_as_the_reference(client, story):
    response = client.get("/")
    assert html_lang(response.text) == "en"
    assert "<h1>2 Entries</h1>" in response.text
    text = visible_text(response.text)
    assert "17 Sep. 2024 240718a-001.jpg - A meeting, 98.88KB Ministers meet" in text
    assert "16 Sep. 2024" in text
    assert "Les ministres" not in text
    assert "Back To Top" in text


def test_french_listing_has_its_own_count_dates_kb_line_and_strings(client, story):
    response = client.get("/fr/")
    assert response.status_code == 200
    assert html_lang(response.text) == "fr"
    assert "<h1>1 article</h1>" in response.text
    text = visible_text(response.text)
    # French press date, the French caption, and the size in octets with a decimal comma and
    # a non-breaking space before the unit.
    line = "240718a-001.jpg - Une réunion, 98,88 Ko"
    assert f"17 sept. 2024 {line} Les ministres se réunissent" in text
    assert f"Une réunion, 98,88{NBSP}Ko</figcaption>" in response.text
    assert "Ministers meet" not in text
    assert "Only in English" not in text
    assert "Retour en haut" in text
    assert "Back To Top" not in text
    assert "Aller au contenu" in response.text
    assert 'aria-label="Langue"' in response.text


def test_french_listing_counts_in_plural(client, story):
    make_translation(story["only_english"], headline="Seulement traduit", slug="seulement")
    assert "<h1>2 articles</h1>" in client.get("/fr/").text


def test_no_public_page_varies_on_accept_language(client, story):
    for url in [
        "/",
        "/fr/",
        story["english"].get_absolute_url(),
        story["french"].get_absolute_url(),
        "/topics/",
        "/fr/topics/energie/",
        "/fr/feeds/entries.rss",
    ]:
        pages = [
            client.get(url, headers={"accept-language": accept})
            for accept in ["en", "fr-FR,fr;q=0.9", "de"]
        ]
        assert pages[0].status_code == 200, url
        for page in pages:
            assert "accept-language" not in page.get("Vary", "").lower(), url
        # The same page whatever the browser prefers (the URL alone decides).
        assert pages[1].content == pages[0].content == pages[2].content, url


def test_french_browser_still_gets_the_english_root(client, story):
    response = client.get("/", headers={"accept-language": "fr"})
    assert response.status_code == 200  # no redirect to /fr/
    assert html_lang(response.text) == "en"
    assert response["Content-Language"] == "en"
    assert client.get("/fr/")["Content-Language"] == "fr"


# Entry pages and the language switcher


def test_translated_entry_page_switcher_links_to_the_french_version(client, story):
    english, french = story["english"], story["french"]
    assert french.get_absolute_url() == "/fr/entries/les-ministres-se-reunissent/"
    page = client.get(english.get_absolute_url())
    tags = Tags(page.text)
    assert tags.switcher_links() == {"fr": french.get_absolute_url()}
    assert tags.switcher_current() == ["en"]
    # And back from the French page.
    page = client.get(french.get_absolute_url())
    assert html_lang(page.text) == "fr"
    assert "<h1>Les ministres se réunissent</h1>" in page.text
    tags = Tags(page.text)
    assert tags.switcher_links() == {"en": english.get_absolute_url()}
    assert tags.switcher_current() == ["fr"]


def test_untranslated_entry_page_switcher_links_to_the_french_listing(client, story):
    page = client.get(story["only_english"].get_absolute_url())
    tags = Tags(page.text)
    assert tags.switcher_links() == {"fr": "/fr/"}
    # Readers of assistive technology are told it is not this page's translation.
    assert "no translation of this page" in page.text


def test_listings_switch_to_the_same_listing(client, story):
    assert Tags(client.get("/").text).switcher_links() == {"fr": "/fr/"}
    assert Tags(client.get("/fr/").text).switcher_links() == {"en": "/"}
    assert Tags(client.get("/topics/").text).switcher_links() == {"fr": "/fr/topics/"}
    topic = Tags(client.get("/topics/energy/").text)
    assert topic.switcher_links() == {"fr": "/fr/topics/energie/"}


def test_a_draft_french_version_is_neither_linked_nor_public(client, story):
    english = story["only_english"]
    draft = make_translation(english, slug="brouillon", status=Entry.Status.DRAFT)
    assert client.get(draft.get_absolute_url()).status_code == 404
    tags = Tags(client.get(english.get_absolute_url()).text)
    assert tags.switcher_links() == {"fr": "/fr/"}
    assert set(tags.hreflangs()) == {"en", "x-default"}


def test_an_english_slug_under_fr_is_not_found(client, story):
    assert client.get("/fr/entries/ministers-meet/").status_code == 404
    assert client.get("/entries/les-ministres-se-reunissent/").status_code == 404


# Head: hreflang, Open Graph, JSON-LD


def test_hreflang_alternates_list_only_existing_versions_with_x_default(client, story):
    english, french = story["english"], story["french"]
    base = "http://testserver"
    both = {
        "en": base + english.get_absolute_url(),
        "fr": base + french.get_absolute_url(),
        "x-default": base + english.get_absolute_url(),
    }
    assert Tags(client.get(english.get_absolute_url()).text).hreflangs() == both
    assert Tags(client.get(french.get_absolute_url()).text).hreflangs() == both
    only = story["only_english"].get_absolute_url()
    assert Tags(client.get(only).text).hreflangs() == {"en": base + only, "x-default": base + only}
    listing = {"en": base + "/", "fr": base + "/fr/", "x-default": base + "/"}
    assert Tags(client.get("/").text).hreflangs() == listing
    assert Tags(client.get("/fr/").text).hreflangs() == listing


def test_a_filtered_or_later_listing_page_claims_no_equivalent(client, story, settings):
    # Its entries differ from any French page: the switcher leads to the French listing, and
    # no hreflang says the French listing is the same page.
    settings.ENTRIES_PER_PAGE = 1
    for url in ("/?page=2", "/?year=2024"):
        tags = Tags(client.get(url).text)
        assert tags.hreflangs() == {}, url
        assert tags.switcher_links() == {"fr": "/fr/"}, url


def test_a_french_only_entry_has_no_x_default(client):
    source = make_entry(status=Entry.Status.DRAFT)
    french = make_translation(source, slug="seulement-en-francais", status=Entry.Status.PUBLISHED)
    url = french.get_absolute_url()
    assert Tags(client.get(url).text).hreflangs() == {"fr": "http://testserver" + url}


def test_open_graph_locale_and_its_alternates(client, story):
    tags = Tags(client.get(story["english"].get_absolute_url()).text)
    assert tags.meta("og:locale") == ["en_GB"]
    assert tags.meta("og:locale:alternate") == ["fr_FR"]
    tags = Tags(client.get(story["french"].get_absolute_url()).text)
    assert tags.meta("og:locale") == ["fr_FR"]
    assert tags.meta("og:locale:alternate") == ["en_GB"]
    assert tags.meta("og:image:alt") == ["Des ministres à une table"]
    tags = Tags(client.get(story["only_english"].get_absolute_url()).text)
    assert tags.meta("og:locale") == ["en_GB"]
    assert tags.meta("og:locale:alternate") == []


def json_ld(text):
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S)
    return json.loads(found[1])


def test_json_ld_says_the_language_of_each_version(client, story):
    english = json_ld(client.get(story["english"].get_absolute_url()).text)
    french = json_ld(client.get(story["french"].get_absolute_url()).text)
    assert english["inLanguage"] == "en"
    assert french["inLanguage"] == "fr"
    assert french["headline"] == "Les ministres se réunissent"
    assert french["url"].endswith("/fr/entries/les-ministres-se-reunissent/")


# Sitemap


def test_sitemap_lists_every_version_with_its_alternates_and_x_default(client, story):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    urls = {}
    for url in root.findall("sm:url", SITEMAP_NS):
        location = url.find("sm:loc", SITEMAP_NS).text.removeprefix("http://testserver")
        urls[location] = {
            link.get("hreflang"): link.get("href").removeprefix("http://testserver")
            for link in url.findall("xhtml:link", SITEMAP_NS)
        }
    english = story["english"].get_absolute_url()
    french = story["french"].get_absolute_url()
    only = story["only_english"].get_absolute_url()
    pair = {"en": english, "fr": french, "x-default": english}
    assert urls[english] == pair
    assert urls[french] == pair
    assert urls[only] == {"en": only, "x-default": only}
    assert urls["/"] == urls["/fr/"] == {"en": "/", "fr": "/fr/", "x-default": "/"}
    topics = {"en": "/topics/energy/", "fr": "/fr/topics/energie/", "x-default": "/topics/energy/"}
    assert urls["/topics/energy/"] == urls["/fr/topics/energie/"] == topics


# Feeds


def parse_feed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return response, feed


def test_french_feed_lists_only_french_items_with_translated_title(client, story):
    response, feed = parse_feed(client, "/fr/feeds/entries.rss")
    assert "<language>fr</language>" in response.text
    assert feed.feed.title == "Newsroom : derniers articles"
    assert feed.feed.link.endswith("/fr/")
    assert [item.title for item in feed.entries] == ["Les ministres se réunissent"]
    assert feed.entries[0].link.endswith("/fr/entries/les-ministres-se-reunissent/")
    assert feed.entries[0].enclosures[0].length == "101253"


def test_english_feed_is_unchanged_by_french_versions(client, story):
    response, feed = parse_feed(client, "/feeds/entries.rss")
    assert "<language>en</language>" in response.text
    assert feed.feed.title == "Newsroom: latest entries"
    assert [item.title for item in feed.entries] == ["Ministers meet", "Only in English"]


def test_french_atom_feed(client, story):
    _, feed = parse_feed(client, "/fr/feeds/entries.atom")
    assert feed.feed.title == "Newsroom : derniers articles"
    assert [item.title for item in feed.entries] == ["Les ministres se réunissent"]


def test_topic_feeds_per_language(client, story):
    _, feed = parse_feed(client, "/fr/topics/energie/feed.rss")
    assert feed.feed.title == "Newsroom : Énergie"
    assert feed.feed.description == f"Les derniers articles sur le thème «{NBSP}Énergie{NBSP}»."
    assert [item.title for item in feed.entries] == ["Les ministres se réunissent"]
    _, feed = parse_feed(client, "/topics/energy/feed.rss")
    assert feed.feed.title == "Newsroom: Energy"
    assert [item.title for item in feed.entries] == ["Ministers meet", "Only in English"]
    # A topic is found by its slug in the page's language only.
    assert client.get("/fr/topics/energy/feed.rss").status_code == 404
    assert client.get("/topics/energie/feed.rss").status_code == 404


# Topic pages


def test_topic_pages_per_language(client, story):
    french = client.get("/fr/topics/energie/")
    assert french.status_code == 200
    assert "<h1>1 article</h1>" in french.text
    assert f"Thème{NBSP}: <strong>Énergie</strong>" in french.text
    assert "Les ministres se réunissent" in french.text
    english = client.get("/topics/energy/")
    assert "<h1>2 Entries</h1>" in english.text
    assert client.get("/fr/topics/energy/").status_code == 404
    topics = client.get("/fr/topics/")
    assert "Énergie" in topics.text
    assert "(1 article)" in topics.text
    assert "Energy" not in visible_text(topics.text)
    assert "(2 entries)" in client.get("/topics/").text


def test_entry_page_links_topics_in_its_language(client, story):
    page = client.get(story["french"].get_absolute_url())
    assert 'href="/fr/topics/energie/"' in page.text
    assert 'href="/topics/energy/"' not in page.text


# Publication per language


def test_french_version_published_later_appears_at_its_own_time(client, page_cache):
    english = make_entry(headline="Out in English", slug="out")
    make_translation(
        english,
        headline="Bientôt en français",
        slug="bientot",
        pub_date=timezone.now() + timedelta(seconds=1.5),
    )
    assert "Out in English" in client.get("/").text
    french = client.get("/fr/")
    assert "Bientôt en français" not in french.text
    assert "<h1>0 article</h1>" in french.text
    assert client.get("/fr/entries/bientot/").status_code == 404
    # Nothing may be kept past its publication time, in our cache or a shared one.
    control = french["Cache-Control"]
    assert "s-maxage=0" in control or "s-maxage=1" in control
    # The English page does not offer the French version yet.
    assert Tags(client.get(english.get_absolute_url()).text).switcher_links() == {"fr": "/fr/"}
    time.sleep(1.6)
    assert "Bientôt en français" in client.get("/fr/").text
    assert client.get("/fr/entries/bientot/").status_code == 200
    assert Tags(client.get(english.get_absolute_url()).text).switcher_links() == {
        "fr": "/fr/entries/bientot/"
    }


# Error pages


def test_not_found_page_in_french_under_fr(client):
    response = client.get("/fr/entries/nulle-part/")
    assert response.status_code == 404
    assert html_lang(response.text) == "fr"
    assert "Page introuvable" in response.text
    assert "Voir les derniers articles" in response.text
    assert 'href="/fr/"' in response.text
    english = client.get("/entries/nowhere/")
    assert "Page not found" in english.text
    assert html_lang(english.text) == "en"


# Query counts


@pytest.mark.parametrize("per_page", [5, 20])
def test_listing_query_count_is_the_same_in_both_languages_and_any_page_size(
    client, django_assert_num_queries, per_page
):
    for n in range(25):
        source = make_entry(image=make_image(f"p{n}.jpg"))
        make_translation(source)
    counts = {}
    with override_settings(ENTRIES_PER_PAGE=per_page):
        for url in ["/", "/fr/"]:
            client.get(url)  # the content version, the count and the topics, kept afterwards
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert len(response.context["entry_list"]) == per_page
            counts[url] = len(queries)
    # The same as the English listing (tests/test_listing.py): the page alone.
    assert counts == {"/": 1, "/fr/": 1}


@pytest.mark.parametrize("per_page", [5, 20])
def test_first_render_query_count_is_the_same_in_both_languages(client, per_page):
    for n in range(25):
        make_translation(make_entry(image=make_image(f"p{n}.jpg")))
    counts = {}
    with override_settings(ENTRIES_PER_PAGE=per_page):
        for url in ["/fr/", "/"]:
            client.get(url)  # the filter form's fields are rendered once per process
            cache.clear()  # as after a change: the content version and the count again
            version_store().drop()
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            counts[url] = [q["sql"] for q in queries]
    assert len(counts["/fr/"]) == len(counts["/"]) == 3, counts


# The page cache


def test_french_and_english_pages_are_cached_separately(
    client, page_cache, django_assert_num_queries, story
):
    english = client.get("/")
    french = client.get("/fr/")
    with django_assert_num_queries(0):
        assert client.get("/").content == english.content
        assert client.get("/fr/").content == french.content
        # Accept-Language picks no other copy.
        assert client.get("/", headers={"accept-language": "fr"}).content == english.content
    assert html_lang(english.text) == "en"
    assert html_lang(french.text) == "fr"


def test_changing_a_french_version_refreshes_the_french_pages(client, page_cache, story):
    french = story["french"]
    assert "Les ministres se réunissent" in client.get("/fr/").text
    french.headline = "Les ministres se retrouvent"
    french.save()
    assert "Les ministres se retrouvent" in client.get("/fr/").text
    # The English page links the French version by address only: still served, still right.
    english = client.get(story["english"].get_absolute_url())
    assert Tags(english.text).switcher_links() == {"fr": french.get_absolute_url()}
    french.slug = "les-ministres-se-retrouvent"
    french.save()
    english = client.get(story["english"].get_absolute_url())
    assert Tags(english.text).switcher_links() == {"fr": "/fr/entries/les-ministres-se-retrouvent/"}


def test_search_under_fr_finds_french_versions_only(client, story):
    response = client.get("/fr/?q=ministres")
    assert response.status_code == 200
    assert [e.pk for e in response.context["entry_list"]] == [story["french"].pk]
    assert "<h1>1 article</h1>" in response.text
    english = client.get("/?q=ministers")
    assert [e.pk for e in english.context["entry_list"]] == [story["english"].pk]
    assert client.get("/?q=ministres").context["paginator"].count == 0


def test_sitemap_lists_a_language_listing_only_once_it_has_entries(client):
    make_entry(slug="english-only")
    text = client.get("/sitemap.xml").text
    assert "<loc>http://testserver/</loc>" in text
    assert "/fr/" not in text

"""Titles, descriptions, canonical URLs, sharing tags and JSON-LD."""

import json
import re
from html.parser import HTMLParser

import pytest

from entries.renditions import make_renditions

from .factories import make_entry, make_image, make_topic

pytestmark = pytest.mark.django_db


class Head(HTMLParser):
    """The <title>, <meta> and <link> tags and the JSON-LD scripts of a page."""

    def __init__(self, html):
        super().__init__()
        self.meta, self.links, self.json_ld, self.title = {}, {}, [], None
        self._in = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            self.meta[attrs.get("name") or attrs.get("property")] = attrs.get("content")
        elif tag == "link":
            self.links.setdefault(attrs["rel"], attrs["href"])
        elif tag in ("title", "script"):
            self._in = (tag, attrs.get("type"))

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == ("title", None):
            self.title = data
        elif self._in == ("script", "application/ld+json"):
            self.json_ld.append(json.loads(data))


@pytest.fixture
def entry():
    topic = make_topic("Energy", description="All about energy.")
    item = make_entry(
        headline="Ministers meet </script><script>alert(1)</script>",
        summary="They met & talked.",
        image=make_image("harbour.jpg", alt_text="Cranes at dusk"),
    )
    item.topics.add(topic)
    return item


def test_every_page_has_title_description_and_canonical_url(client, entry):
    topic = entry.topics.get()
    pages = {
        "/": "1 Entry · Newsroom",
        "/?page=1": "1 Entry · Newsroom",
        "/topics/": "Topics · Newsroom",
        topic.get_absolute_url(): f"{topic.name}: 1 Entry · Newsroom",
        entry.get_absolute_url(): f"{entry.headline} · Newsroom",
    }
    for url, title in pages.items():
        head = Head(client.get(url).text)
        assert head.title == title, url
        assert head.meta["description"], url
        assert head.links["canonical"] == f"http://testserver{url.split('?')[0]}", url
    assert Head(client.get(topic.get_absolute_url()).text).meta["description"] == (
        "All about energy."
    )


def test_canonical_url_keeps_the_page_number_only(client):
    for _ in range(12):
        make_entry()
    head = Head(client.get("/?page=2&utm_source=x").text)
    assert head.links["canonical"] == "http://testserver/?page=2"


def test_filtered_listings_are_not_indexed(client, entry):
    assert Head(client.get("/?q=ministers").text).meta["robots"] == "noindex"
    assert "robots" not in Head(client.get("/").text).meta


def test_entry_pages_have_open_graph_and_twitter_tags_with_the_image(client, entry):
    head = Head(client.get(entry.get_absolute_url()).text)
    image_url = f"http://testserver{entry.image.file.url}"
    assert head.meta["og:type"] == "article"
    assert head.meta["og:title"] == entry.headline
    assert head.meta["og:description"] == "They met & talked."
    assert head.meta["og:url"] == f"http://testserver{entry.get_absolute_url()}"
    assert head.meta["og:image"] == image_url
    assert head.meta["og:image:alt"] == "Cranes at dusk"
    assert head.meta["og:image:width"] == "64"
    assert head.meta["twitter:card"] == "summary_large_image"
    assert head.meta["twitter:image"] == image_url


def test_json_ld_news_article_survives_a_headline_closing_the_script(client, entry):
    html = client.get(entry.get_absolute_url()).text
    # The headline's </script> must not end the JSON-LD block early.
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert len(scripts) == 1
    assert "<" not in scripts[0]
    assert "<script>alert(1)" not in html
    data = json.loads(scripts[0])
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == entry.headline
    assert data["datePublished"] == entry.pub_date.isoformat()
    assert data["dateModified"]
    assert data["image"] == [f"http://testserver{entry.image.file.url}"]
    assert data["author"]["name"] == data["publisher"]["name"] == "Newsroom"
    assert data["mainEntityOfPage"] == f"http://testserver{entry.get_absolute_url()}"


def test_json_ld_lists_the_jpeg_renditions_once_made(client, entry):
    make_renditions(entry.image)
    data = Head(client.get(entry.get_absolute_url()).text).json_ld[0]
    assert [url.rsplit(".", 1)[1] for url in data["image"]] == ["jpeg"]

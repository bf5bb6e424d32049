"""RSS and Atom feeds, sitemap.xml and robots.txt, parsed back as their readers would."""

import html
import xml.etree.ElementTree as ET
from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone

from entries.models import Entry

from .factories import make_entry, make_image, make_topic

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture
def content():
    topic = make_topic("Energy")
    image = make_image("harbour.jpg", caption="Cranes")
    with_image = make_entry(headline="With image & more", image=image)
    with_image.topics.add(topic)
    plain = make_entry(headline="Plain")
    draft = make_entry(headline="Secret draft", status=Entry.Status.DRAFT)
    draft.topics.add(topic)
    future = make_entry(headline="Future", pub_date=timezone.now() + timedelta(days=1))
    future.topics.add(topic)
    return {"topic": topic, "image": image, "with_image": with_image, "plain": plain}


def parse(client, url, content_type):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return feed


@pytest.mark.parametrize(
    ("url", "content_type", "version"),
    [
        ("/feeds/entries.rss", "application/rss+xml", "rss20"),
        ("/feeds/entries.atom", "application/atom+xml", "atom10"),
    ],
)
def test_site_feeds_list_published_entries_with_image_enclosures(
    client, content, url, content_type, version
):
    feed = parse(client, url, content_type)
    assert feed.version == version
    titles = [item.title for item in feed.entries]
    # RSS titles are HTML (readers render them so; tests/test_feed_titles.py), Atom's are text.
    assert titles == [
        "With image &amp; more" if version == "rss20" else "With image & more",
        "Plain",
    ]
    first = feed.entries[0]
    assert first.link == f"http://testserver{content['with_image'].get_absolute_url()}"
    enclosures = [link for link in first.links if link.rel == "enclosure"]
    image = content["image"]
    assert len(enclosures) == 1
    assert enclosures[0].href == f"http://testserver{image.file.url}"
    assert enclosures[0].type == "image/jpeg"
    assert int(enclosures[0].length) == image.file_size == image.file.size
    assert not [link for link in feed.entries[1].links if link.rel == "enclosure"]


@pytest.mark.parametrize("suffix", ["feed.rss", "feed.atom"])
def test_topic_feeds_hold_only_that_topics_published_entries(client, content, suffix):
    topic = content["topic"]
    feed = parse(client, f"{topic.get_absolute_url()}{suffix}", "application/")
    assert topic.name in feed.feed.title
    assert [html.unescape(item.title) for item in feed.entries] == ["With image & more"]


@pytest.mark.parametrize("url", ["/feeds/entries.rss", "/feeds/entries.atom"])
def test_control_characters_that_xml_cannot_carry_are_left_out(client, url):
    # Pasted from a word processor: a vertical tab, a form feed, a unit separator.
    make_entry(headline="Vertical\x0btab", summary="Form\x0cfeed and \x1fseparator.")
    feed = parse(client, url, "application/")
    assert html.unescape(feed.entries[0].title) == "Verticaltab"
    assert html.unescape(feed.entries[0].summary) == "Formfeed and separator."


def test_unknown_topic_feed_is_a_404(client):
    assert client.get("/topics/nope/feed.rss").status_code == 404


def test_every_page_advertises_the_feeds(client, content):
    for url in ["/", "/topics/", content["plain"].get_absolute_url(), "/no-such-page/"]:
        html = client.get(url).text
        assert '<link rel="alternate" type="application/rss+xml"' in html
        assert 'href="/feeds/entries.atom"' in html
    topic_page = client.get(content["topic"].get_absolute_url()).text
    assert f'href="{content["topic"].get_absolute_url()}feed.rss"' in topic_page


def test_sitemap_lists_published_entries_and_topics_with_lastmod(client, content):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    urls = {
        url.find("sm:loc", SITEMAP_NS).text: url.find("sm:lastmod", SITEMAP_NS)
        for url in root.findall("sm:url", SITEMAP_NS)
    }
    base = "http://testserver"
    expected = {
        f"{base}/",
        f"{base}/topics/",
        f"{base}{content['topic'].get_absolute_url()}",
        f"{base}{content['with_image'].get_absolute_url()}",
        f"{base}{content['plain'].get_absolute_url()}",
    }
    assert set(urls) == expected
    assert all(lastmod is not None and lastmod.text for lastmod in urls.values())
    entry = content["plain"]
    assert urls[f"{base}{entry.get_absolute_url()}"].text.startswith(
        # Sitemap dates are written in the site's time zone, like every date on the site.
        timezone.localtime(max(entry.updated, entry.pub_date)).date().isoformat()
    )


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Sitemap: http://testserver/sitemap.xml" in response.text.splitlines()

"""Headlines and topic names in feed titles are text, whatever a feed reader does with them.

Many readers render an RSS title as HTML (RSS 2.0 does not say which it is), so RSS titles are
escaped once more, as descriptions are; Atom titles are typed `text` and carry the headline as
it is. feedparser reads the feeds back as such a reader would.
"""

import feedparser
import pytest

from .factories import make_entry, make_topic

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("t")</script> <b onmouseover=x>Tom & Jerry</b>'


def parse(client, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    return response, feed


@pytest.fixture
def hostile_topic():
    topic = make_topic(name=HOSTILE)
    make_entry(headline=HOSTILE).topics.add(topic)
    make_entry(headline="Plain & simple").topics.add(topic)
    return topic


@pytest.mark.parametrize("url", ["/feeds/entries.rss", "topic-rss"])
def test_rss_titles_decode_to_escaped_markup_never_to_a_tag(client, hostile_topic, url):
    if url == "topic-rss":
        url = f"/topics/{hostile_topic.slug}/feed.rss"
    response, feed = parse(client, url)
    body = response.content.decode()
    # The XML carries the markup escaped twice: once for HTML, once for the XML document.
    assert "&amp;lt;script&amp;gt;" in body
    assert "<script" not in body and "&lt;script" not in body.replace("&amp;lt;script", "")
    titles = [entry.title for entry in feed.entries]
    # What the reader gets is the headline as HTML text: the tags are character references.
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in titles[0]
    assert "Plain &amp; simple" in titles
    for entry in feed.entries:
        assert "<script" not in entry.title and "<b" not in entry.title
        assert "<script" not in entry.title_detail.value
    if "topics" in url:
        assert "&lt;script&gt;" in feed.feed.title and "<script" not in feed.feed.title


@pytest.mark.parametrize("url", ["/feeds/entries.atom", "topic-atom"])
def test_atom_titles_are_typed_text_and_keep_the_headline_as_written(client, hostile_topic, url):
    if url == "topic-atom":
        url = f"/topics/{hostile_topic.slug}/feed.atom"
    _response, feed = parse(client, url)
    assert feed.entries[0].title_detail.type == "text/plain"
    assert feed.entries[0].title == HOSTILE
    assert "Plain & simple" in [entry.title for entry in feed.entries]
    if "topics" in url:
        assert feed.feed.title == f"Newsroom: {hostile_topic.name}"

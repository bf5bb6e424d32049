"""Text that editors type is shown as text everywhere: pages, feeds, JSON-LD and the admin.

Every other field is plain text and escaped; the body is HTML reduced to an allowlist
(entries/richtext.py; tests/test_rich_bodies.py and tests/test_hostile_bodies.py try it hard).
Public pages are read from the URLconf (tests/urlwalk.py), so feeds,
topic pages and the sitemap are checked as soon as they exist.
"""

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests import urlwalk
from tests.factories import make_entry, make_image, make_topic
from tests.text import visible_text

# Each tries a different way out of the text: a tag, an event attribute, a link, breaking out
# of an attribute value, and breaking out of a <script> block (JSON-LD).
PAYLOADS = {
    "headline": '<script>alert("headline")</script> Trade talks',
    "summary": '<img src=x onerror=alert("summary")> Ministers met.',
    "body": (
        'First <a href="javascript:alert(1)">click</a>.\n\n</script><script>alert("body")</script>'
    ),
    "caption": '<svg onload=alert("caption")>',
    "alt_text": '" onmouseover="alert(\'alt\')" x="',
    "credit": '<a href="javascript:alert(2)">Agency</a>',
    "topic_name": '<b onclick=alert("topic")>Trade</b>',
    "topic_description": '</script><script>alert("topic")</script>',
}


class Scripts(HTMLParser):
    """Everything in a document that could run: script elements, on* attributes, js: URLs."""

    DATA_TYPES = {"application/ld+json", "application/json"}

    def __init__(self):
        super().__init__()
        self.problems = []
        self.json_blocks = []
        self._in_data_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action", "formaction", "xlink:href"} and (
                (value or "").strip().lower().startswith("javascript:")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            if attrs.get("type") in self.DATA_TYPES:
                self._in_data_script = True
                self.json_blocks.append("")
            elif not attrs.get("src"):
                self.problems.append("inline <script>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_data_script = False

    def handle_data(self, data):
        if self._in_data_script:
            self.json_blocks[-1] += data


def assert_nothing_runs(html, where):
    parser = Scripts()
    parser.feed(html)
    assert parser.problems == [], where
    for block in parser.json_blocks:
        assert "<" not in block, f"raw '<' inside a JSON script block on {where}"
        json.loads(block)  # still valid: nothing broke out of it


RSS_HTML_ELEMENTS = {"description", "encoded"}
ATOM_TEXT_CONSTRUCTS = {"summary", "content", "subtitle", "title", "rights"}


def renders_as_html(element, local):
    """RSS descriptions are HTML; an Atom text construct is HTML only with type="html"
    (RFC 4287, 3.1.1: without a type it is plain text)."""
    if local in RSS_HTML_ELEMENTS:
        return True
    return local in ATOM_TEXT_CONSTRUCTS and element.get("type") in {"html", "xhtml"}


def assert_feed_safe(xml_text, where):
    """Feed readers render HTML elements' text as HTML: it must contain no markup that runs."""
    for element in ET.fromstring(xml_text).iter():
        local = element.tag.rsplit("}", 1)[-1]
        if element.text and renders_as_html(element, local):
            assert_nothing_runs(element.text, f"{where} <{local}>")


@pytest.fixture
def hostile_site(db):
    topic = make_topic(description=PAYLOADS["topic_description"])
    topic.name = PAYLOADS["topic_name"]
    topic.save()
    image = make_image(
        caption=PAYLOADS["caption"], alt_text=PAYLOADS["alt_text"], credit=PAYLOADS["credit"]
    )
    entry = make_entry(
        headline=PAYLOADS["headline"],
        summary=PAYLOADS["summary"],
        body=PAYLOADS["body"],
        image=image,
    )
    entry.topics.add(topic)
    make_entry()  # a neighbour, so the entry page links to another entry
    return {"entry": entry, "image": image, "topic": topic}


def public_pages(client, site):
    """Every public route with real values; those that answer 200 (media files excepted)."""
    values = {
        "slug": [site["entry"].slug, site["topic"].slug],
        "str": [site["entry"].slug, site["topic"].slug],
        "int": [site["entry"].pk, site["entry"].pub_date.year, site["topic"].pk],
    }
    pages = {}
    for route in urlwalk.public_routes():
        if route.name == "media":
            continue
        for path in urlwalk.fill(route, lambda _n, kind: values.get(kind, ["x"])):
            response = client.get(path)
            if response.status_code == 200:
                pages[path] = response
    return pages


def test_public_pages_show_editors_text_as_text(client, hostile_site):
    pages = public_pages(client, hostile_site)
    entry_url = hostile_site["entry"].get_absolute_url()
    assert {"/", entry_url} <= set(pages), "the listing and the entry page are checked"
    for path, response in pages.items():
        body = response.content.decode()
        if "xml" in response["Content-Type"]:
            assert_feed_safe(body, path)
        else:
            assert_nothing_runs(body, path)
    # Escaped, not stripped: the reader sees exactly what the editor typed.
    entry_text = visible_text(pages[entry_url].content.decode())
    for field in ["headline", "summary", "caption", "credit", "topic_name"]:
        assert PAYLOADS[field] in entry_text, field
    # The body is HTML: what the allowlist refuses is gone, the rest is kept.
    assert "First click" in entry_text
    assert 'alert("body")' not in pages[entry_url].content.decode()
    assert 'alt="&quot; onmouseover=&quot;alert(&#x27;alt&#x27;)&quot; x=&quot;"' in (
        pages[entry_url].content.decode()
    )


@pytest.mark.parametrize("model", ["entry", "image", "topic"])
def test_admin_pages_show_editors_text_as_text(client, hostile_site, model):
    admin = get_user_model().objects.create_superuser("chief", password="x" * 12)
    client.force_login(admin)
    obj = hostile_site[model]
    for url in [
        reverse(f"admin:entries_{model}_changelist"),
        reverse(f"admin:entries_{model}_change", args=[obj.pk]),
        reverse(f"admin:entries_{model}_delete", args=[obj.pk]),
        reverse(f"admin:entries_{model}_history", args=[obj.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_nothing_runs(response.content.decode(), url)


def test_the_checks_catch_markup_that_runs():
    """The checker itself: each way out is reported (so the tests above can fail)."""
    for html in [
        "<p><script>alert(1)</script></p>",
        '<img src="x" onerror="alert(1)">',
        '<a href=" JavaScript:alert(1)">x</a>',
    ]:
        with pytest.raises(AssertionError):
            assert_nothing_runs(html, "sample")
    with pytest.raises((AssertionError, ValueError)):
        assert_nothing_runs(
            '<script type="application/ld+json">{"a": "</script><script>x()</script>"}</script>',
            "sample",
        )
    with pytest.raises(AssertionError):
        assert_feed_safe(
            "<rss><item><description>&lt;script&gt;x&lt;/script&gt;</description></item></rss>",
            "feed",
        )

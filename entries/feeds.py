"""RSS 2.0 and Atom feeds of the published entries, site-wide and per topic, in each language:
`/feeds/entries.rss` in English, `/fr/feeds/entries.rss` in French.

The documents are written by templates (templates/jinja2/feeds/), in the bytes Django's feed
generator wrote: every publish renders the four feeds of a topic's story again, and building
each item's attributes and writing them through Python's SAX writer made a feed cost four
listing pages."""

from datetime import UTC, datetime

from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.encoding import iri_to_uri
from django.utils.http import http_date
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from newsroom.prepared import PreparedQuery
from newsroom.surrogate import add_keys

from . import body, cache_keys
from .models import Entry, Topic

FEED_LENGTH = 20


def _latest_entries():
    # Everything an item shows, its photo too; not the search vector (the largest column).
    return Entry.objects.published().in_language().select_related("image").defer("search_vector")


# The feeds' queries, compiled once (newsroom.prepared): building and compiling the query cost
# a feed about as much as reading its rows.
_LATEST = PreparedQuery(lambda: _latest_entries()[:FEED_LENGTH])
_LATEST_ON_TOPIC = PreparedQuery(
    lambda topic: _latest_entries().filter(topics=topic)[:FEED_LENGTH], topic=int
)


class LatestEntriesFeed(View):
    """The newest entries in the page's language, as RSS 2.0: each item carries the summary
    as its description and the full body in `content:encoded`; the photo is an enclosure.

    Readers render RSS titles and descriptions as HTML, so the template escapes those texts
    once as HTML, then as XML; Atom types its titles as text (escaped as XML only)."""

    template_name = "feeds/rss.xml"
    content_type = "application/rss+xml; charset=utf-8"

    def get(self, request, **kwargs):
        topic = self.get_topic(**kwargs)
        entries = self.entries(topic)
        items = [self.item(entry) for entry in entries]
        # The newest change among the items, as Django's feeds date the channel (now when
        # the feed is empty).
        updated = max((item["updated"] for item in items), default=None)
        feed = {
            "title": self.title(topic),
            "description": self.description(topic),
            "link": self.absolute(self.link(topic)),
            "url": self.absolute(request.path),
            "language": get_language(),
            "updated": updated or datetime.now(UTC),
        }
        response = TemplateResponse(
            request,
            self.template_name,
            {"feed": feed, "items": items},
            content_type=self.content_type,
        )
        # For conditional requests, as Django's own feed view does.
        response.headers["Last-Modified"] = http_date(feed["updated"].timestamp())
        return add_keys(response, cache_keys.feed_keys(entries, topic=topic))

    def get_topic(self):
        return None

    def entries(self, topic):
        """The feed's newest FEED_LENGTH entries."""
        return _LATEST.objects()

    def title(self, topic):
        return _("Newsroom: latest entries")

    def description(self, topic):
        return _("The latest entries of the Newsroom news archive.")

    def link(self, topic):
        return reverse("entries:entry_list")

    def absolute(self, path):
        return iri_to_uri(self.request.build_absolute_uri(path))

    def item(self, entry):
        image = entry.image
        photo = None
        if image is not None:
            photo = {
                "url": self.absolute(image.url),
                "length": str(image.file_size),
                "type": image.mime_type,
            }
        return {
            "entry": entry,
            "link": self.absolute(entry.get_absolute_url()),
            "updated": max(entry.updated, entry.pub_date),
            "photo": photo,
            # The body's HTML (cleaned, inline photos as plain figures, links and images
            # absolute); the template escapes it for the document.
            "content": str(body.render(entry, absolute=self.request.build_absolute_uri)),
        }


class LatestEntriesAtomFeed(LatestEntriesFeed):
    template_name = "feeds/atom.xml"
    content_type = "application/atom+xml; charset=utf-8"


class TopicFeed(LatestEntriesFeed):
    def get_topic(self, slug):
        return get_object_or_404(Topic.objects.in_language(), slug=slug)

    def entries(self, topic):
        return _LATEST_ON_TOPIC.objects(topic=topic.pk)

    def title(self, topic):
        return _("Newsroom: %(topic)s") % {"topic": topic.name}

    def description(self, topic):
        return topic.description or _("The latest entries on %(topic)s.") % {"topic": topic.name}

    def link(self, topic):
        return topic.get_absolute_url()


class TopicAtomFeed(TopicFeed):
    template_name = "feeds/atom.xml"
    content_type = "application/atom+xml; charset=utf-8"

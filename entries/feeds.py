"""RSS 2.0 and Atom feeds of the published entries, site-wide and per topic, in each language:
`/feeds/entries.rss` in English, `/fr/feeds/entries.rss` in French."""

from django.contrib.syndication.views import Feed
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Enclosure, Rss201rev2Feed
from django.utils.html import escape
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from newsroom.prepared import PreparedQuery
from newsroom.surrogate import add_keys

from . import body, cache_keys
from .models import Entry, Topic

FEED_LENGTH = 20


def _latest_entries():
    # Everything an item shows, its photo too; not the search vector (the largest column).
    return Entry.objects.published().in_language().select_related("image").defer("search_vector")


# The feeds' queries, compiled once (newsroom.prepared): building and compiling the query cost
# a feed about as much as reading its rows, and every publish renders the four feeds again.
_LATEST = PreparedQuery(lambda: _latest_entries()[:FEED_LENGTH])
_LATEST_ON_TOPIC = PreparedQuery(
    lambda topic: _latest_entries().filter(topics=topic)[:FEED_LENGTH], topic=int
)


class RssWithContent(Rss201rev2Feed):
    """RSS 2.0 whose items carry the full body in `content:encoded` (the description stays
    the summary)."""

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class AtomWithContent(Atom1Feed):
    """Atom whose entries carry the full body as `<content type="html">`."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


def rss_html(feed, text):
    """Plain text for an RSS element that readers render as HTML (titles, descriptions).

    RSS 2.0 does not say whether a title is text or HTML, and many readers take it as HTML, so
    the text is escaped once here (the XML writer escapes it again for the document). Atom's
    title and subtitle are typed `text`: there the XML writer's escaping is enough.
    """
    return text if issubclass(feed.feed_type, Atom1Feed) else escape(text)


class LatestEntriesFeed(Feed):
    feed_type = RssWithContent
    title = gettext_lazy("Newsroom: latest entries")
    description = gettext_lazy("The latest entries of the Newsroom news archive.")

    def __call__(self, request, *args, **kwargs):
        """Django's Feed.__call__, with the document written into a string and given to the
        response once (Django writes each element to the response: ~700 writes a feed)."""
        try:
            obj = self.get_object(request, *args, **kwargs)
        except ObjectDoesNotExist:
            raise Http404("Feed object does not exist.") from None
        feedgen = self.get_feed(obj, request)
        response = HttpResponse(feedgen.writeString("utf-8"), content_type=feedgen.content_type)
        # For conditional requests, as Django's own feed view does.
        response.headers["Last-Modified"] = http_date(feedgen.latest_post_date().timestamp())
        return add_keys(response, getattr(request, "_feed_cache_keys", ()))

    def get_object(self, request, *args, **kwargs):
        self.request = request  # enclosure URLs must be absolute
        return None

    def link(self):
        return reverse("entries:entry_list")

    def entries(self, obj):
        """The feed's newest FEED_LENGTH entries."""
        return _LATEST.objects()

    def items(self, obj):
        items = self.entries(obj)
        # What this feed shows, for its cache keys (the feed object serves every request).
        self.request._feed_cache_keys = cache_keys.feed_keys(items, topic=obj)
        return items

    def item_title(self, item):
        return rss_html(self, item.headline)

    def item_description(self, item):
        # Readers render RSS descriptions and Atom summaries as HTML: the plain-text summary
        # is escaped once here, and the XML writer escapes it again for the document.
        return escape(item.summary)

    def item_extra_kwargs(self, item):
        # The body's HTML (cleaned, inline photos as plain figures, links and images
        # absolute); the XML writer escapes it for the document.
        content = body.render(item, absolute=self.request.build_absolute_uri)
        return {"content": str(content)}

    def item_pubdate(self, item):
        return item.pub_date

    def item_updateddate(self, item):
        return max(item.updated, item.pub_date)

    def item_enclosures(self, item):
        image = item.image
        if image is None:
            return []
        return [
            Enclosure(
                url=self.request.build_absolute_uri(image.url),
                length=str(image.file_size),
                mime_type=image.mime_type,
            )
        ]


class LatestEntriesAtomFeed(LatestEntriesFeed):
    feed_type = AtomWithContent
    subtitle = LatestEntriesFeed.description


class TopicFeed(LatestEntriesFeed):
    def get_object(self, request, slug):
        super().get_object(request)
        return get_object_or_404(Topic.objects.in_language(), slug=slug)

    def title(self, topic):
        return rss_html(self, _("Newsroom: %(topic)s") % {"topic": topic.name})

    def description(self, topic):
        # Many readers render the channel description as HTML, like item descriptions.
        return escape(topic_description(topic))

    def link(self, topic):
        return topic.get_absolute_url()

    def entries(self, topic):
        return _LATEST_ON_TOPIC.objects(topic=topic.pk)


class TopicAtomFeed(TopicFeed):
    feed_type = AtomWithContent

    def subtitle(self, topic):
        # Atom's subtitle is plain text: the XML writer's escaping is enough.
        return topic_description(topic)


def topic_description(topic):
    return topic.description or _("The latest entries on %(topic)s.") % {"topic": topic.name}

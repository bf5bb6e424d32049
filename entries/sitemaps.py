"""sitemap.xml: the listing, every topic with published entries, every published entry."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.urls import reverse

from .models import Entry, Topic


class EntrySitemap(Sitemap):
    changefreq = "monthly"

    def items(self):
        return Entry.objects.published().only("slug", "updated", "pub_date").order_by("pk")

    def lastmod(self, entry):
        return max(entry.updated, entry.pub_date)


class TopicSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        published = Q(entries__in=Entry.objects.published())
        return (
            Topic.objects.with_published_counts()
            .filter(entry_count__gt=0)
            .annotate(last_entry=Max("entries__pub_date", filter=published))
            .order_by("pk")
        )

    def lastmod(self, topic):
        return topic.last_entry


class HomeSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return ["entries:entry_list", "entries:topic_list"]

    def location(self, name):
        return reverse(name)

    def lastmod(self, name):
        latest = Entry.objects.published().order_by("-pub_date").first()
        return latest.pub_date if latest else None


SITEMAPS = {"home": HomeSitemap, "topics": TopicSitemap, "entries": EntrySitemap}

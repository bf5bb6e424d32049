"""sitemap.xml: the listing, every topic with published entries, every published entry, in
every language, each URL with its hreflang alternates (and x-default, the default language's
version) as Google reads them from a sitemap."""

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q

from .languages import url_in
from .models import Entry, Topic


class TranslatedSitemap(Sitemap):
    """Each URL lists its versions in the other languages, found among the sitemap's own items
    (they are ordered so that the versions of one story sit together)."""

    def story(self, item):
        return item.translation_key

    def language_of(self, item):
        return item.language

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        order = {code: n for n, (code, _) in enumerate(settings.LANGUAGES)}
        versions = {}
        for url in urls:
            language = self.language_of(url["item"])
            versions.setdefault(self.story(url["item"]), []).append((language, url["location"]))
        for url in urls:
            found = sorted(versions[self.story(url["item"])], key=lambda v: order.get(v[0], 99))
            alternates = [{"lang_code": code, "location": loc} for code, loc in found]
            default = dict(found).get(settings.LANGUAGE_CODE)
            if default:
                alternates.append({"lang_code": "x-default", "location": default})
            url["alternates"] = alternates
        return urls


class EntrySitemap(TranslatedSitemap):
    changefreq = "monthly"

    def items(self):
        return (
            Entry.objects.published()
            .only("slug", "updated", "pub_date", "language", "translation_key")
            .order_by("translation_key", "language")
        )

    def lastmod(self, entry):
        return max(entry.updated, entry.pub_date)


class TopicSitemap(TranslatedSitemap):
    changefreq = "weekly"

    def items(self):
        published = Q(entries__in=Entry.objects.published())
        return (
            Topic.objects.with_published_counts()
            .filter(entry_count__gt=0)
            .annotate(last_entry=Max("entries__pub_date", filter=published))
            .order_by("translation_key", "language")
        )

    def lastmod(self, topic):
        return topic.last_entry


class HomeSitemap(TranslatedSitemap):
    """The listing and the topic list in each language that has published entries (an empty
    listing is not worth a crawl, and has no date to give)."""

    changefreq = "daily"

    def items(self):
        latest = (
            Entry.objects.published()
            .order_by()
            .values_list("language")
            .annotate(latest=Max("pub_date"))
        )
        self.latest = dict(latest)
        return [
            (name, code)
            for name in ("entries:entry_list", "entries:topic_list")
            for code, _ in settings.LANGUAGES
            if code in self.latest
        ]

    def story(self, item):
        return item[0]

    def language_of(self, item):
        return item[1]

    def location(self, item):
        return url_in(*item)

    def lastmod(self, item):
        return self.latest.get(item[1])


SITEMAPS = {"home": HomeSitemap, "topics": TopicSitemap, "entries": EntrySitemap}

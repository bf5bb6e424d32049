from django.urls import path

from . import feeds, ical, preview_views, views
from .sitemaps import SITEMAPS

app_name = "entries"

urlpatterns = [
    path("", views.EntryListView.as_view(), name="entry_list"),
    path("entries/id/<int:pk>/", views.entry_by_id, name="entry_by_id"),
    path("entries/<slug:slug>/", views.EntryDetailView.as_view(), name="entry_detail"),
    path("topics/", views.TopicListView.as_view(), name="topic_list"),
    path("topics/<slug:slug>/", views.TopicEntryListView.as_view(), name="topic_detail"),
    path("feeds/entries.rss", feeds.LatestEntriesFeed(), name="feed_rss"),
    path("feeds/entries.atom", feeds.LatestEntriesAtomFeed(), name="feed_atom"),
    path("topics/<slug:slug>/feed.rss", feeds.TopicFeed(), name="topic_feed_rss"),
    path("topics/<slug:slug>/feed.atom", feeds.TopicAtomFeed(), name="topic_feed_atom"),
    path("sitemap.xml", views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("preview/<str:token>/", preview_views.SharedPreviewView.as_view(), name="preview"),
    path("calendar/<str:token>.ics", ical.calendar_feed, name="calendar_feed"),
]

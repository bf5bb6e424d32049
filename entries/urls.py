"""The public pages, in every language: `/...` in the default one, `/fr/...` in French
(newsroom.urls puts them in i18n_patterns). Addresses with no language are in site_urls."""

from django.urls import path

from . import feeds, views

app_name = "entries"

urlpatterns = [
    path("", views.EntryListView.as_view(), name="entry_list"),
    path("entries/id/<int:pk>/", views.entry_by_id, name="entry_by_id"),
    path("entries/<slug:slug>/", views.EntryDetailView.as_view(), name="entry_detail"),
    path("topics/", views.TopicListView.as_view(), name="topic_list"),
    path("topics/<slug:slug>/", views.TopicEntryListView.as_view(), name="topic_detail"),
    path("feeds/entries.rss", feeds.LatestEntriesFeed.as_view(), name="feed_rss"),
    path("feeds/entries.atom", feeds.LatestEntriesAtomFeed.as_view(), name="feed_atom"),
    path("topics/<slug:slug>/feed.rss", feeds.TopicFeed.as_view(), name="topic_feed_rss"),
    path("topics/<slug:slug>/feed.atom", feeds.TopicAtomFeed.as_view(), name="topic_feed_atom"),
]

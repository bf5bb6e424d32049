"""Addresses that have no language: one sitemap for every language (with hreflang
alternates), robots.txt, shared previews and the staff calendar feed."""

from django.urls import path

from . import ical, preview_views, views
from .sitemaps import SITEMAPS

app_name = "site"

urlpatterns = [
    path("sitemap.xml", views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("preview/<str:token>/", preview_views.SharedPreviewView.as_view(), name="preview"),
    path("calendar/<str:token>.ics", ical.calendar_feed, name="calendar_feed"),
]

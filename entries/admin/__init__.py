"""The editors' admin: entries (entries.py), images (images.py) and topics."""

from django.contrib import admin

from ..models import Topic
from .entries import EntryAdmin
from .images import ImageAdmin

__all__ = ["EntryAdmin", "ImageAdmin", "TopicAdmin"]

admin.site.site_header = "Newsroom"
admin.site.site_title = "Newsroom"
admin.site.index_title = "The desk"


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

from django.contrib import admin

from .models import Entry, Image, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    list_display = ["file_name", "caption", "width", "height", "file_size"]
    search_fields = ["file", "caption"]
    readonly_fields = ["width", "height", "file_size"]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["headline", "pub_date", "status"]
    list_filter = ["status", "topics"]
    search_fields = ["headline", "summary"]
    date_hierarchy = "pub_date"
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["image", "topics"]
    list_select_related = ["image"]

"""The editors' admin: entries (entries.py), images (images.py) and topics."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..forms import TopicForm
from ..models import Topic
from .entries import EntryAdmin
from .images import ImageAdmin
from .translations import LanguageFilter, MissingTranslationFilter, TranslationAdminMixin

__all__ = ["EntryAdmin", "ImageAdmin", "TopicAdmin"]

admin.site.site_header = _("Newsroom")
admin.site.site_title = _("Newsroom")
admin.site.index_title = _("The desk")


@admin.register(Topic)
class TopicAdmin(TranslationAdminMixin, admin.ModelAdmin):
    form = TopicForm
    list_display = ["name", "slug", "languages"]
    list_filter = [LanguageFilter, MissingTranslationFilter]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_fields(self, request, obj=None):
        fields = ["language", "name", "slug", "description"]
        return fields if obj else [*fields, "translation_of"]

    def translation_initial(self, source, language):
        return {"name": source.name, "slug": source.slug, "description": source.description}

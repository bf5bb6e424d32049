from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from ..forms import ImageForm, image_form, image_text_fields
from ..models import Entry, Image
from ..signals import files_follow_transaction
from .common import PREVIEW_WIDTH, CappedCountPaginator, thumbnail, thumbnail_size
from .health import ImageHealthMixin, NeedsAttentionFilter
from .history import ImageHistoryMixin


@admin.register(Image)
class ImageAdmin(ImageHistoryMixin, ImageHealthMixin, admin.ModelAdmin):
    form = ImageForm
    list_display = [
        "thumbnail",
        "file_name",
        "caption",
        "dimensions",
        "size",
        "credit",
        "used_by_count",
        "rendition_status",
    ]
    list_display_links = ["thumbnail", "file_name"]
    # Renditions are made in the background (entries/tasks.py): "Failed" lists the images
    # whose task gave up, with the error on each image's page.
    list_filter = [NeedsAttentionFilter, "decorative", "rendition_status"]
    search_fields = ["original_name", "file", "caption"]
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    readonly_fields = ["preview", "public_line", "dimensions", "size", "renditions", "used_by"]
    fieldsets = [
        (None, {"fields": ["file", "preview", "public_line", "dimensions", "size", "renditions"]}),
        ("Text", {"fields": ["caption", "alt_text", "decorative", "credit"]}),
        ("Used by", {"fields": ["used_by"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        per_language = image_text_fields()
        if not per_language:
            return fieldsets
        return [
            *fieldsets[:2],
            (_("Text in the other languages"), {"fields": per_language}),
            *fieldsets[2:],
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The per-language fields follow settings.LANGUAGES, read when the form is made.
        return super().get_form(request, obj, change, form=image_form(), **kwargs)

    def get_queryset(self, request):
        # order_by again: a GROUP BY query drops Meta.ordering (the autocomplete pages by it).
        return (
            super()
            .get_queryset(request)
            # Entries with it as their photo, or placed in their body.
            .annotate(
                entry_count=Count("entries", distinct=True) + Count("body_uses", distinct=True)
            )
            .order_by(*Image._meta.ordering)
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # A failed save (rolled back) must not leave its newly written file behind.
        with files_follow_transaction():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        card = self.admin_site.admin_view(self.card_view)
        return [path("<int:pk>/card/", card, name="entries_image_card"), *super().get_urls()]

    def card_view(self, request, pk):
        """The entry form's photo preview: thumbnail address and size, and the public line."""
        image = get_object_or_404(Image, pk=pk)
        if not self.has_view_or_change_permission(request, image):
            raise PermissionDenied
        width, height = thumbnail_size(image, PREVIEW_WIDTH) if image.width else (0, 0)
        return JsonResponse(
            {"src": image.url, "width": width, "height": height, "line": image.public_line}
        )

    @admin.display(description="Photo")
    def thumbnail(self, image):
        return thumbnail(image)

    @admin.display(description="Preview")
    def preview(self, image):
        return thumbnail(image, width=320) if image.pk else "—"

    @admin.display(description="What readers see under it")
    def public_line(self, image):
        return image.public_line if image.pk else "—"

    @admin.display(description="file name", ordering="file")
    def file_name(self, image):
        return image.file_name

    @admin.display(description="dimensions")
    def dimensions(self, image):
        return f"{image.width} x {image.height} px" if image.pk else "—"

    @admin.display(description="size", ordering="file_size")
    def size(self, image):
        return f"{image.size_kb} KB" if image.pk else "—"

    @admin.display(description="Renditions")
    def renditions(self, image):
        if not image.pk:
            return "—"
        if image.rendition_error:
            # format_html escapes the error text.
            return format_html(
                "{} after {} attempt(s). Last error: {}",
                image.get_rendition_status_display(),
                image.rendition_attempts,
                image.rendition_error,
            )
        return image.get_rendition_status_display()

    @admin.display(description="entries", ordering="entry_count")
    def used_by_count(self, image):
        return image.entry_count

    @admin.display(description="Entries using it")
    def used_by(self, image):
        entries = (
            list(
                Entry.objects.filter(
                    Q(image=image) | Q(pk__in=image.body_uses.values("entry"))
                ).order_by("-pub_date")[:50]
            )
            if image.pk
            else []
        )
        if not entries:
            return "None: it can be deleted."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> ({})</li>',
                (
                    (
                        reverse("admin:entries_entry_change", args=[entry.pk]),
                        entry.headline,
                        entry.publication_state.label,
                    )
                    for entry in entries
                ),
            ),
        )

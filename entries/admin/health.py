"""/admin/entries/image/health/: the images that need attention, and the matching filter."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path

from .. import image_health

SHOWN_PER_GROUP = 12


class NeedsAttentionFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "needs"

    def lookups(self, request, model_admin):
        return [(need.slug, need.label) for need in image_health.NEEDS]

    def queryset(self, request, queryset):
        need = image_health.need(self.value() or "")
        return need.images(queryset) if need else queryset


class ImageHealthMixin:
    def get_urls(self):
        view = self.admin_site.admin_view(self.health_view)
        return [path("health/", view, name="entries_image_health"), *super().get_urls()]

    def health_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        groups = []
        for need, count in image_health.counts():
            groups.append(
                {
                    "need": need,
                    "count": count,
                    "images": list(need.images().order_by("-created", "-pk")[:SHOWN_PER_GROUP])
                    if count
                    else [],
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Image health",
            "groups": groups,
            "shown_per_group": SHOWN_PER_GROUP,
        }
        return TemplateResponse(request, "admin/entries/image/health.html", context)

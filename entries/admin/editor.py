"""The body editor of the entry form: django-prose-editor's ProseMirror toolkit, started by
our own module (static/entries/body-editor.js) so no inline script or style is needed, and the
two small JSON lookups it uses (images with thumbnails, entries by headline).

django-prose-editor's own widget renders an inline `<script type="importmap">`, which the
site's CSP (script-src 'self', no nonce) refuses; body-editor.js imports the toolkit by its
static path instead and builds the editor with Tiptap's `injectCSS` off (the styles it would
inject live in static/entries/body-editor.css).
"""

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import JsonResponse
from django.urls import reverse

from ..models import Entry, Image
from .common import thumbnail_size

LOOKUP_LIMIT = 20
THUMBNAIL_WIDTH = 120


class BodyEditor(forms.Textarea):
    """A textarea that becomes the rich-text editor when JavaScript runs (without it, editors
    can still type HTML, which is cleaned like any other body)."""

    class Media:
        css = {
            "all": [
                "django_prose_editor/material-icons.css",
                "django_prose_editor/editor.css",
                "django_prose_editor/overrides.css",
                "entries/body-editor.css",
            ]
        }
        js = [forms.Script("entries/body-editor.js", type="module")]

    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 20, "class": "vLargeTextField", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "data-body-editor": "",
                "data-image-card-url": reverse("admin:entries_image_card", args=[0]),
                "data-image-choices-url": reverse("admin:entries_entry_body_images"),
                "data-image-add-url": reverse("admin:entries_image_add"),
                "data-entry-search-url": reverse("admin:entries_entry_body_entries"),
                "data-entry-link-url": reverse("entries:entry_by_id", args=[0]),
            }
        )
        return context


def _image_choice(image):
    width, height = thumbnail_size(image, THUMBNAIL_WIDTH) if image.width else (0, 0)
    return {
        "id": image.pk,
        "text": image.public_line,
        "src": image.file.url,
        "width": width,
        "height": height,
    }


def image_choices(request, model_admin):
    """Images whose file name or caption contains `q` (or select2's `term`), newest first,
    with thumbnails: for the inline photo picker and the entry's photo field."""
    if not request.user.has_perm("entries.view_image"):
        raise PermissionDenied
    query = (request.GET.get("q") or request.GET.get("term") or "").strip()[:200]
    images = Image.objects.all()
    if query:
        images = images.filter(
            Q(original_name__icontains=query)
            | Q(file__icontains=query)
            | Q(caption__icontains=query)
        )
    return JsonResponse({"results": [_image_choice(image) for image in images[:LOOKUP_LIMIT]]})


def entry_choices(request, model_admin):
    """Entries whose headline contains `q`, newest first, to link to by id."""
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    query = request.GET.get("q", "").strip()[:200]
    entries = Entry.objects.only("headline", "pub_date", "status")
    if query:
        entries = entries.filter(headline__icontains=query)
    return JsonResponse(
        {
            "results": [
                {
                    "id": entry.pk,
                    "text": entry.headline,
                    "date": entry.pub_date.date().isoformat(),
                    "state": entry.publication_state.label,
                    "href": reverse("entries:entry_by_id", args=[entry.pk]),
                }
                for entry in entries[:LOOKUP_LIMIT]
            ]
        }
    )

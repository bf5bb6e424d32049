"""Staff preview: any entry, drafts and scheduled ones too, in the public page's template."""

from ..models import Entry
from ..views import EntryDetailView


class EntryPreviewView(EntryDetailView):
    """The public entry page for one entry whatever its status. Reached only through the admin
    (`EntryAdmin.preview_view`, staff with view permission), and never stored by any cache."""

    template_name = "entries/entry_preview.html"

    def get_queryset(self):
        return Entry.objects.select_related("image").prefetch_related("topics")

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

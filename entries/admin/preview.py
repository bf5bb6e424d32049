"""Staff preview: any entry, drafts and scheduled ones too, in the public page's template."""

from django.utils import translation

from ..models import Entry
from ..views import EntryDetailView


class EntryPreviewView(EntryDetailView):
    """The public entry page for one entry whatever its status. Reached only through the admin
    (`EntryAdmin.preview_view`, staff with view permission), and never stored by any cache."""

    template_name = "entries/entry_preview.html"

    def get_queryset(self):
        return Entry.objects.select_related("image").prefetch_related("topics")

    def render_to_response(self, context, **response_kwargs):
        # In the entry's language, whatever the editor's admin is in.
        with translation.override(self.object.language):
            return super().render_to_response(context, **response_kwargs).render()

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

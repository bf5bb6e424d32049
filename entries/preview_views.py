"""/preview/<token>/: the public page of a draft or scheduled entry, for a link's holder."""

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.views.generic import DetailView

from newsroom.client_ip import client_ip

from .previews import PreviewLink
from .views import EntryDetailView

GUESS_KEY = "newsroom:preview-misses:{}"


class SharedPreviewView(DetailView):
    """Looks exactly like the public page, with a banner; never stored by any cache, never
    indexed, and its address is never sent on as a referrer."""

    template_name = "entries/entry_shared_preview.html"
    context_object_name = "entry"
    http_method_names = ["get", "head"]

    def get(self, request, token):
        if self.guesses(request) >= settings.PREVIEW_GUESS_LIMIT:
            response = HttpResponse(
                "Too many preview addresses tried from here; wait a few minutes.",
                status=429,
                content_type="text/plain; charset=utf-8",
            )
            response["Retry-After"] = str(settings.PREVIEW_GUESS_WINDOW)
            return self.private(response)
        self.link = PreviewLink.objects.find(token)
        if self.link is None:
            self.count_miss(request)
            raise Http404("No such page.")  # the same for unknown, revoked and expired
        if self.link.entry.is_published:
            return self.private(HttpResponseRedirect(self.link.entry.get_absolute_url()))
        self.object = self.link.shown_entry()
        context = self.get_context_data(object=self.object)
        with translation.override(self.object.language):  # the entry's, not the address's
            return self.private(self.render_to_response(context).render())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The neighbours and related entries a reader would see beside it, once it is out.
        context.update(EntryDetailView.neighbours(self.object))
        context["preview_link"] = self.link
        return context

    @staticmethod
    def private(response):
        response["Cache-Control"] = "private, no-store"
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"
        return response

    @staticmethod
    def guesses(request):
        try:
            return cache.get(GUESS_KEY.format(client_ip(request)), 0)
        except Exception:  # an unreachable cache must not open the door
            return settings.PREVIEW_GUESS_LIMIT

    @staticmethod
    def count_miss(request):
        key = GUESS_KEY.format(client_ip(request))
        try:
            if not cache.add(key, 1, settings.PREVIEW_GUESS_WINDOW):
                cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.PREVIEW_GUESS_WINDOW)
        except Exception:
            pass

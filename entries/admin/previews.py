"""Preview links in the entry admin: make one, see the live ones, revoke them."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from ..dates import editor_datetime
from ..models import Entry
from ..previews import DEFAULT_HOURS, MAX_HOURS, MIN_HOURS, PreviewLink


class PreviewLinkForm(forms.Form):
    hours = forms.IntegerField(
        label="Lasts (hours)",
        min_value=MIN_HOURS,
        max_value=MAX_HOURS,
        initial=DEFAULT_HOURS,
        help_text=f"From {MIN_HOURS} hour to {MAX_HOURS // 24} days ({MAX_HOURS} hours).",
    )
    mode = forms.ChoiceField(
        label="Shows",
        choices=PreviewLink.Mode.choices,
        initial=PreviewLink.Mode.LATEST,
        widget=forms.RadioSelect,
    )


class PreviewLinksMixin:
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/previews/", view(self.previews_view), name="entries_entry_previews"),
            path(
                "<int:pk>/previews/<int:link_pk>/revoke/",
                view(self.revoke_preview_view),
                name="entries_entry_revoke_preview",
            ),
            *super().get_urls(),
        ]

    def changeable_entry(self, request, pk):
        entry = get_object_or_404(Entry, pk=pk)
        if not self.has_change_permission(request, entry):
            raise PermissionDenied
        return entry

    def previews_view(self, request, pk):
        entry = self.changeable_entry(request, pk)
        form = PreviewLinkForm(request.POST or None)
        if request.method == "POST" and not entry.is_published and form.is_valid():
            link, token = PreviewLink.make(
                entry, request.user, form.cleaned_data["hours"], form.cleaned_data["mode"]
            )
            url = request.build_absolute_uri(reverse("site:preview", args=[token]))
            self.message_user(
                request,
                format_html(
                    "Preview link made, valid until {}. Copy it now (it is shown only once): "
                    '<a href="{}" class="desk-preview-url">{}</a>',
                    editor_datetime(link.expires),
                    url,
                    url,
                ),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(reverse("admin:entries_entry_previews", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Preview links: {entry.headline}",
            "entry": entry,
            "original": entry,
            "form": form,
            "links": entry.preview_links.live().select_related("created_by"),
        }
        return TemplateResponse(request, "admin/entries/entry/previews.html", context)

    def revoke_preview_view(self, request, pk, link_pk):
        entry = self.changeable_entry(request, pk)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:entries_entry_previews", args=[pk]))
        link = get_object_or_404(entry.preview_links, pk=link_pk)
        link.revoke()
        self.message_user(request, "Preview link revoked: it now leads nowhere.", messages.SUCCESS)
        back = request.POST.get("back") == "entry"  # revoked from the entry's own page
        name = "admin:entries_entry_change" if back else "admin:entries_entry_previews"
        return HttpResponseRedirect(reverse(name, args=[pk]))

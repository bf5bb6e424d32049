"""The entry's History page, the comparison of two versions, restore, and deleted entries.

`EntryHistoryMixin` goes in front of the entry admin: it records each save, bulk action and
restore as a version (entries/history.py) and serves the pages under
/admin/entries/entry/<id>/history/ and /admin/entries/entry/recover/.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from .. import history
from ..diffs import compare_rows
from ..models import Entry

HISTORY_PER_PAGE = 50
COMPARED = ("headline", "slug", "summary", "body", "image", "topics", "status", "pub_date")


class EntryHistoryMixin:
    # Recording.

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with history.recording(request.user):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        # The deletion's last version names who deleted it.
        with history.recording(request.user):
            return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        # Bulk actions run in here; each names itself with history.set_comment().
        with history.recording(request.user):
            return super().changelist_view(request, extra_context)

    def save_model(self, request, obj, form, change):
        was_status = form.initial.get("status") if change else None
        was_pub_date = form.initial.get("pub_date") if change else None
        super().save_model(request, obj, form, change)
        history.set_comment(history.describe_save(obj, was_status, was_pub_date, not change))

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        history.add(form.instance, topics=form.cleaned_data.get("topics"))

    # Pages.

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("recover/", view(self.recover_list_view), name="entries_entry_recover_list"),
            path(
                "recover/<int:deleted_pk>/",
                view(self.recover_view),
                name="entries_entry_recover",
            ),
            path(
                "<int:pk>/history/compare/",
                view(self.compare_view),
                name="entries_entry_compare",
            ),
            path(
                "<int:pk>/history/<int:version_pk>/restore/",
                view(self.restore_view),
                name="entries_entry_restore",
            ),
            *super().get_urls(),
        ]

    def desk_context(self, request, title, entry=None):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "original": entry,
            "entry": entry,
            "has_view_permission": True,
        }

    def viewable_entry(self, request, pk):
        entry = get_object_or_404(Entry, pk=pk)
        if not self.has_view_or_change_permission(request, entry):
            raise PermissionDenied
        return entry

    def history_view(self, request, object_id, extra_context=None):
        if not object_id.isdecimal():
            raise Http404("No such entry.")
        entry = self.viewable_entry(request, int(object_id))
        page = Paginator(history.versions_of(entry), HISTORY_PER_PAGE).get_page(
            request.GET.get("page")
        )
        # One more version than the page shows: the oldest row's changes need its predecessor.
        versions = list(page.object_list)
        following = (
            history.versions_of(entry).filter(pk__lt=versions[-1].pk).first() if versions else None
        )
        olders = [*versions[1:], following] if versions else []
        rows = []
        for version, older in zip(versions, olders, strict=True):
            rows.append(
                {
                    "version": version,
                    "number": history.version_number(version),
                    "author": history.author(version),
                    "changed": (
                        [
                            COMPARED_LABELS.get(name, name)
                            for name in history.changed_fields(older.field_dict, version.field_dict)
                        ]
                        if older
                        else ["first version"]
                    ),
                    "older": older,
                }
            )
        context = {
            **self.desk_context(request, f"History: {entry.headline}", entry),
            "page": page,
            "rows": rows,
            "can_restore": self.has_change_permission(request, entry),
        }
        return TemplateResponse(request, "admin/entries/entry/history.html", context)

    def compare_view(self, request, pk):
        entry = self.viewable_entry(request, pk)
        versions = history.versions_of(entry)
        try:
            older = versions.get(pk=int(request.GET.get("from", "")))
            newer = versions.get(pk=int(request.GET.get("to", "")))
        except (ValueError, history.Version.DoesNotExist) as error:
            raise Http404("Choose two versions of this entry.") from error
        if older.pk > newer.pk:
            older, newer = newer, older
        context = {
            **self.desk_context(request, f"Compare versions: {entry.headline}", entry),
            "older": older,
            "newer": newer,
            "older_number": history.version_number(older),
            "newer_number": history.version_number(newer),
            "older_author": history.author(older),
            "newer_author": history.author(newer),
            "older_label": f"Version {history.version_number(older)}",
            "newer_label": f"Version {history.version_number(newer)}",
            "rows": compare_rows(older.field_dict, newer.field_dict, COMPARED),
            "can_restore": self.has_change_permission(request, entry),
        }
        return TemplateResponse(request, "admin/entries/entry/compare.html", context)

    def restore_view(self, request, pk, version_pk):
        entry = get_object_or_404(Entry, pk=pk)
        if not self.has_change_permission(request, entry):
            raise PermissionDenied
        version = get_object_or_404(history.versions_of(entry), pk=version_pk)
        data = version.field_dict
        may_publish = self.has_publish_permission(request)
        status_differs = (data["status"], data["pub_date"]) != (entry.status, entry.pub_date)
        if request.method == "POST":
            with_status = request.POST.get("with_status") == "on" and status_differs
            if with_status and not may_publish:
                raise PermissionDenied
            try:
                history.restore(entry.pk, version, request.user, with_status=with_status)
            except history.RestoreError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"Restored version {history.version_number(version)}: it is now the "
                    "entry's newest version.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:entries_entry_change", args=[entry.pk]))
        current = history.versions_of(entry).first()
        context = {
            **self.desk_context(request, f"Restore version: {entry.headline}", entry),
            "version": version,
            "number": history.version_number(version),
            "rows": compare_rows(current.field_dict if current else {}, data, COMPARED),
            "status_differs": status_differs,
            "may_publish": may_publish,
            "version_status": compare_rows(data, data, ["status", "pub_date"]),
        }
        return TemplateResponse(request, "admin/entries/entry/restore.html", context)

    def recover_list_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        page = Paginator(history.deleted_entries(), HISTORY_PER_PAGE).get_page(
            request.GET.get("page")
        )
        context = {
            **self.desk_context(request, "Deleted entries"),
            "page": page,
            "rows": page.object_list,
        }
        return TemplateResponse(request, "admin/entries/entry/recover_list.html", context)

    def recover_view(self, request, deleted_pk):
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:entries_entry_recover_list"))
        deleted = get_object_or_404(history.deleted_entries(), pk=deleted_pk)
        try:
            entry, notes = history.recover(
                deleted, request.user, may_publish=self.has_publish_permission(request)
            )
        except history.RestoreError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:entries_entry_recover_list"))
        text = format_html("Recovered “{}”.", entry.headline)
        if notes:
            text = format_html("{} Note: {}.", text, "; ".join(notes))
        self.message_user(request, text, messages.WARNING if notes else messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:entries_entry_change", args=[entry.pk]))


COMPARED_LABELS = {
    "headline": "headline",
    "slug": "slug",
    "summary": "summary",
    "body": "body",
    "image": "photo",
    "topics": "topics",
    "status": "status",
    "pub_date": "publication date",
}


class ImageHistoryMixin:
    """Caption, alt text, decorative and credit changes to images are versions too."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with history.recording(request.user):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        history.set_comment("Uploaded" if not change else "Edited")
        history.add(obj)

    def history_view(self, request, object_id, extra_context=None):
        if not object_id.isdecimal():
            raise Http404("No such image.")
        image = get_object_or_404(self.model, pk=int(object_id))
        if not self.has_view_or_change_permission(request, image):
            raise PermissionDenied
        versions = list(history.versions_of(image)[: HISTORY_PER_PAGE + 1])
        rows = []
        for version, older in zip(versions[:HISTORY_PER_PAGE], [*versions[1:], None], strict=False):
            rows.append(
                {
                    "version": version,
                    "author": history.author(version),
                    "fields": compare_rows(
                        older.field_dict if older else {}, version.field_dict, history.IMAGE_FIELDS
                    ),
                    "first": older is None,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"History: {image}",
            "original": image,
            "image": image,
            "rows": rows,
        }
        return TemplateResponse(request, "admin/entries/image/history.html", context)

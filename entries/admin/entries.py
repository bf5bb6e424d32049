from functools import partial

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from reversion.errors import RevertError

from ..dates import editor_datetime
from ..forms import EntryForm
from ..history import set_comment, versions_of
from ..language_names import in_language_name
from ..models import Entry, EntryQuerySet, Topic
from ..translations import content_digest
from . import editor
from .calendar import CalendarMixin
from .common import PREVIEW_WIDTH, CappedCountPaginator, thumbnail
from .history import EntryHistoryMixin
from .preview import EntryPreviewView
from .previews import PreviewLinksMixin
from .translations import (
    LanguageFilter,
    MissingTranslationFilter,
    OutdatedFilter,
    TranslationAdminMixin,
    source_changed,
)


class StateFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return Entry.State.choices

    def queryset(self, request, queryset):
        if self.value() in Entry.State.values:
            return queryset.in_state(self.value())
        return queryset


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = Entry.objects.years(order="DESC")  # index probes, not a scan of the table
        return [(str(start.year), str(start.year)) for start in years]

    def queryset(self, request, queryset):
        value = self.value() or ""
        # Years 1000-9999 only: others are beyond what dates hold (a 500, not a filter).
        if len(value) == 4 and value.isdecimal() and value >= "1000":
            return queryset.filter(pub_date__year=int(value))
        return queryset


class DateBarQuerySet(EntryQuerySet):
    """The changelist's queryset, whose years come from `years()`: the date bar's top level
    (`datetimes(..., "year")`, a scan of the whole filtered table) as index probes instead."""

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if field_name == "pub_date" and kind == "year" and tzinfo is None:
            return self.years(order)
        return super().datetimes(field_name, kind, order, tzinfo)


class EntryChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        queryset.__class__ = DateBarQuerySet  # same queryset, cheaper date bar
        return queryset


def changes_since_url(source, digest):
    """The source's comparison of the version a translation was last brought up to date
    with (found by its text's fingerprint in the source's history) and its latest; its
    History page when that version is not kept."""
    versions = list(versions_of(source)[:200])
    if versions:
        latest = versions[0]
        for version in versions[1:]:
            try:
                fields = version.field_dict
            except RevertError:  # saved before a field it names was removed
                continue
            text = (fields.get(name) or "" for name in ("headline", "summary", "body"))
            if content_digest(*text) == digest:
                url = reverse("admin:entries_entry_compare", args=[source.pk])
                return f"{url}?from={version.pk}&to={latest.pk}"
    return reverse("admin:entries_entry_history", args=[source.pk])


@admin.register(Entry)
class EntryAdmin(
    TranslationAdminMixin, EntryHistoryMixin, PreviewLinksMixin, CalendarMixin, admin.ModelAdmin
):
    class Media:
        # body-editor-drafts.js: the unsaved-changes guard and the body kept in the browser.
        js = [
            "entries/admin-image-preview.js",
            "entries/admin-photo-thumbnails.js",
            "entries/body-editor-drafts.js",
        ]

    form = EntryForm
    list_display = ["thumbnail", "headline", "pub_date", "state", "languages", "topic_names"]
    list_display_links = ["thumbnail", "headline"]
    list_filter = [
        StateFilter,
        LanguageFilter,
        MissingTranslationFilter,
        OutdatedFilter,
        "topics",
        YearFilter,
    ]
    search_fields = ["headline", "summary", "body"]
    date_hierarchy = "pub_date"
    list_per_page = 50
    list_max_show_all = 200
    # No COUNT(*) over the whole table on every page: see CappedCountPaginator.
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_select_related = ["image"]
    prepopulated_fields = {"slug": ["headline"]}
    autocomplete_fields = ["image", "topics"]
    readonly_fields = ["image_preview", "state_line", "translation_line"]
    fieldsets = [
        (None, {"fields": ["language", "headline", "slug", "summary", "body"]}),
        (_("Photo"), {"fields": ["image", "image_preview"]}),
        (
            _("Publication"),
            {
                "fields": [
                    "status",
                    "pub_date",
                    "state_line",
                    "planned_date",
                    "topics",
                    "opened_version",
                ]
            },
        ),
    ]
    actions = ["publish", "unpublish"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = editor.BodyEditor()
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_changelist(self, request, **kwargs):
        return EntryChangeList

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .with_state()
            .annotate(source_changed=source_changed())
            .prefetch_related("topics")
        )

    def get_fieldsets(self, request, obj=None):
        fieldsets = [(name, {**options}) for name, options in super().get_fieldsets(request, obj)]
        if obj is None:
            # "Translate into ...": the source's id travels with the form (entries.forms).
            name, options = fieldsets[0]
            fieldsets[0] = (name, {**options, "fields": [*options["fields"], "translation_of"]})
        elif obj.translation_source_id:
            fields = ["translation_line"]
            if obj.is_outdated:
                fields.append("up_to_date")
            fieldsets.insert(1, (_("Translation"), {"fields": fields}))
        return fieldsets

    def translation_initial(self, source, language):
        topics = Topic.objects.filter(
            translation_key__in=source.topics.values("translation_key"), language=language
        )
        return {
            "headline": source.headline,
            "slug": source.slug,
            "summary": source.summary,
            "body": source.body,
            "image": source.image_id,
            "topics": list(topics.values_list("pk", flat=True)),
            "status": Entry.Status.DRAFT,
        }

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            fields.append("status")  # such editors save drafts only
        return fields

    def has_publish_permission(self, request):
        return request.user.has_perm("entries.publish_entry")

    # Changelist columns.

    @admin.display(description=_("Photo"))
    def thumbnail(self, entry):
        return thumbnail(entry.image, width=60)

    @admin.display(description=_("status"), ordering="state")
    def state(self, entry):
        return entry.publication_state.label

    @admin.display(description=_("topics"))
    def topic_names(self, entry):
        return ", ".join(topic.name for topic in entry.topics.all())

    # Read-only parts of the form.

    @admin.display(description=_("What readers see"))
    def image_preview(self, entry):
        # static/entries/admin-image-preview.js refreshes this box when the photo changes.
        empty = gettext("No photo yet. Choose one above, or upload one with the + button.")
        image = entry.image if entry and entry.pk else None
        if image is None:
            inside = empty
        else:
            inside = format_html(
                '<figure class="admin-image-preview">{}<figcaption>{}</figcaption></figure>',
                thumbnail(image, width=PREVIEW_WIDTH),
                image.public_line,
            )
        return format_html(
            '<div id="image-preview" data-card-url="{}" data-empty="{}" data-shown="{}" '
            'aria-live="polite">{}</div>',
            reverse("admin:entries_image_card", args=[0]),
            empty,
            image.pk if image else "",
            inside,
        )

    @admin.display(description=_("Now"))
    def state_line(self, entry):
        if not entry or not entry.pk:
            return gettext("Not saved yet.")
        state = entry.publication_state
        if state == Entry.State.SCHEDULED:
            return gettext("Scheduled: appears on the site at %(time)s.") % {
                "time": editor_datetime(entry.pub_date)
            }
        if state == Entry.State.PUBLISHED:
            return gettext("Published: on the site.")
        return gettext("Draft: only staff can see it, through Preview.")

    @admin.display(description=_("Translated from"))
    def translation_line(self, entry):
        source = entry.translation_source if entry and entry.pk else None
        if source is None:
            return "—"
        link = format_html(
            '<a href="{}">{}</a> ({})',
            reverse("admin:entries_entry_change", args=[source.pk]),
            source.headline,
            in_language_name(source.language),
        )
        if not entry.is_outdated:
            return format_html("{} {}", link, gettext("Up to date with it."))
        return format_html(
            '{}<p class="translation-outdated-notice"><strong>{}</strong> {} '
            '<a href="{}">{}</a></p>',
            link,
            gettext("Outdated:"),
            gettext(
                "the %(language)s version's headline, summary or body changed since this "
                "translation was brought up to date."
            )
            % {"language": in_language_name(source.language)},
            changes_since_url(source, entry.source_digest),
            gettext("See what changed"),
        )

    # The publishing buttons (templates/admin/entries/entry/submit_line.html).

    def save_model(self, request, obj, form, change):
        if "_publish" in request.POST or "_save_draft" in request.POST:
            wanted = Entry.Status.PUBLISHED if "_publish" in request.POST else Entry.Status.DRAFT
            if wanted != obj.status and not self.has_publish_permission(request):
                raise PermissionDenied
            obj.status = wanted
        was_published = change and form.initial.get("status") == Entry.Status.PUBLISHED
        if obj.status == Entry.Status.PUBLISHED and not was_published:
            obj.mark_published()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        self.message_state(request, obj)
        response = super().response_add(request, obj, post_url_continue)
        return self.stay_on_entry(request, obj) or response

    def response_change(self, request, obj):
        self.message_state(request, obj)
        response = super().response_change(request, obj)
        return self.stay_on_entry(request, obj) or response

    def stay_on_entry(self, request, entry):
        """ "Save as draft" keeps the editor on the entry: its preview and work go on there."""
        if "_save_draft" in request.POST and "_popup" not in request.POST:
            return HttpResponseRedirect(reverse("admin:entries_entry_change", args=[entry.pk]))
        return None

    def get_deleted_objects(self, objs, request):
        """The delete confirmation without "Entry-topic relationship: Entry_topics object (171)"
        lines: the entry's topics are not deleted, only its links to them."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        through = Entry.topics.through._meta
        prefix = f"{capfirst(through.verbose_name)}: "

        def without_links(items):
            kept = []
            for item in items:
                if isinstance(item, list):
                    item = without_links(item)
                    if not item:
                        continue
                elif str(item).startswith(prefix):
                    continue
                kept.append(item)
            return kept

        counts.pop(through.verbose_name_plural, None)
        perms_needed.discard(through.verbose_name)
        return without_links(deleted), counts, perms_needed, protected

    def message_state(self, request, entry):
        if "_popup" in request.POST:
            return
        state = entry.publication_state
        if state == Entry.State.PUBLISHED:
            text = format_html(
                gettext('Published: <a href="{}">view it on the site</a>.'),
                entry.get_absolute_url(),
            )
        elif state == Entry.State.SCHEDULED:
            text = format_html(
                gettext('Scheduled for {}. <a href="{}">Preview it</a>.'),
                editor_datetime(entry.pub_date),
                self.preview_url(entry),
            )
        else:
            text = format_html(
                gettext('Saved as a draft. <a href="{}">Preview it</a>.'), self.preview_url(entry)
            )
        self.message_user(request, text, messages.INFO)

    # "View on site" for published entries, "Preview" for the others.

    def view_on_site(self, entry):
        return entry.get_absolute_url() if entry.is_published else None

    def preview_url(self, entry):
        return reverse("admin:entries_entry_preview", args=[entry.pk])

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, object_id)
        if entry is not None and not entry.is_published:
            extra_context = {**(extra_context or {}), "preview_url": self.preview_url(entry)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view, cacheable=True)
        body_images = self.admin_site.admin_view(partial(editor.image_choices, model_admin=self))
        body_entries = self.admin_site.admin_view(partial(editor.entry_choices, model_admin=self))
        return [
            path("<int:pk>/preview/", preview, name="entries_entry_preview"),
            path("body/images/", body_images, name="entries_entry_body_images"),
            path("body/entries/", body_entries, name="entries_entry_body_entries"),
            *super().get_urls(),
        ]

    def preview_view(self, request, pk):
        entry = get_object_or_404(Entry, pk=pk)
        if not self.has_view_or_change_permission(request, entry):
            raise PermissionDenied
        return EntryPreviewView.as_view()(request, pk=pk)

    # Bulk actions.

    @admin.action(permissions=["publish"], description=_("Publish the selected entries"))
    def publish(self, request, queryset):
        set_comment("Published, with the bulk action “Publish the selected entries”")
        self.set_status(request, queryset, Entry.Status.PUBLISHED)

    @admin.action(
        permissions=["publish"], description=_("Unpublish the selected entries (to draft)")
    )
    def unpublish(self, request, queryset):
        set_comment("Unpublished, with the bulk action “Unpublish the selected entries”")
        self.set_status(request, queryset, Entry.Status.DRAFT)

    def set_status(self, request, queryset, status):
        changing = queryset.exclude(status=status)
        headlines = list(changing.values_list("headline", flat=True)[:10])
        now = timezone.now().replace(microsecond=0)  # to the second, as the form
        changes = {"status": status, "version": F("version") + 1, "updated": now}
        if status == Entry.Status.PUBLISHED:
            # As Entry.mark_published: a draft whose date was never typed is dated now.
            changes["published_at"] = now
            changes["pub_date"] = Case(
                When(pub_date_chosen=False, then=Value(now)), default="pub_date"
            )
            changes["pub_date_chosen"] = Value(True)
        # A new version, so a form opened before this action refuses to overwrite it.
        count = changing.update(**changes)
        if status == Entry.Status.PUBLISHED:
            text = ngettext(
                "Published %(count)d entry (any with a future date are scheduled)",
                "Published %(count)d entries (any with a future date are scheduled)",
                count,
            ) % {"count": count}
        else:
            text = ngettext(
                "Unpublished %(count)d entry (now drafts)",
                "Unpublished %(count)d entries (now drafts)",
                count,
            ) % {"count": count}
        listed = format_html_join(", ", "“{}”", ((headline,) for headline in headlines))
        more = "…" if count > len(headlines) else ""
        self.message_user(request, format_html("{}: {}{}", text, listed, more))

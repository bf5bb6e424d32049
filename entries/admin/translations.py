"""Language versions in the admin: which languages a story has, "Translate into ...", the
language, "missing in ..." and "outdated" filters (entries.translations).

`TranslationAdminMixin` goes in front of the entry and topic admins. The changelist learns
each row's other versions from subqueries of its own query (one per configured language), so
the page costs the same number of queries whatever its length.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..language_names import in_language_name
from ..models import Entry

TRANSLATION_OF = "translation_of"  # the add form's parameter: the source version's id


def other_languages(language=None):
    """The configured languages but `language` (the default one if not given)."""
    language = language or settings.LANGUAGE_CODE
    return [(code, name) for code, name in settings.LANGUAGES if code != language]


def version_attr(code):
    """The changelist's annotation holding the row's version in `code` (its id, or None)."""
    return f"version_in_{code.replace('-', '_')}"


def source_changed(model=Entry):
    """True for a translation whose source's text changed since it was brought up to date:
    `Entry.is_outdated` as a query expression."""
    return Exists(
        model.objects.filter(pk=OuterRef("translation_source_id")).exclude(
            content_digest=OuterRef("source_digest")
        )
    )


# Filters.


class LanguageFilter(admin.SimpleListFilter):
    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return [(code, in_language_name(code)) for code, _name in settings.LANGUAGES]

    def queryset(self, request, queryset):
        if self.value() in dict(settings.LANGUAGES):
            return queryset.filter(language=self.value())
        return queryset


class MissingTranslationFilter(admin.SimpleListFilter):
    """Versions in the default language that have no version in another one."""

    title = _("translations")
    parameter_name = "missing"

    def lookups(self, request, model_admin):
        return [
            (code, _("Missing in %(language)s") % {"language": in_language_name(code)})
            for code, _name in other_languages()
        ]

    def queryset(self, request, queryset):
        if self.value() not in dict(other_languages()):
            return queryset
        translated = queryset.model.objects.filter(
            translation_key=OuterRef("translation_key"), language=self.value()
        )
        return queryset.filter(~Exists(translated), language=settings.LANGUAGE_CODE)


class OutdatedFilter(admin.SimpleListFilter):
    title = _("translation state")
    parameter_name = "outdated"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Outdated: the source changed")),
            ("no", _("Up to date translations")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(source_changed(queryset.model))
        if self.value() == "no":
            return queryset.filter(translation_source__isnull=False).exclude(
                source_changed(queryset.model)
            )
        return queryset


# The admin.


class TranslationAdminMixin:
    """For a Translatable model's admin: the Languages column, "Translate into ..." links on
    the change form and the add form prefilled from the source (`translation_initial`)."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        model = queryset.model
        versions = {
            version_attr(code): Subquery(
                model.objects.filter(translation_key=OuterRef("translation_key"), language=code)
                .order_by()
                .values("pk")[:1]
            )
            for code, _name in settings.LANGUAGES
        }
        return queryset.annotate(**versions)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("language")  # a version keeps its language; translate instead
        return fields

    @admin.display(description=_("Languages"))
    def languages(self, obj):
        """ "EN · FR": this row's language in bold, the others linked to their version, the
        missing ones struck through."""
        parts = []
        for code, _name in settings.LANGUAGES:
            label = code.upper()
            name = in_language_name(code)
            version = getattr(obj, version_attr(code), None)
            if code == obj.language:
                parts.append(format_html('<strong title="{}">{}</strong>', name, label))
            elif version:
                url = reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[version]
                )
                parts.append(format_html('<a href="{}" title="{}">{}</a>', url, name, label))
            else:
                missing = _("No %(language)s version") % {"language": name}
                parts.append(
                    format_html(
                        '<s class="missing-language" title="{}">{}</s>'
                        '<span class="visually-hidden"> ({})</span>',
                        missing,
                        label,
                        missing,
                    )
                )
        codes = format_html_join(" · ", "{}", ((part,) for part in parts))
        if getattr(obj, "source_changed", False):
            return format_html(
                '{} <span class="translation-outdated" title="{}">{}</span>',
                codes,
                _("The version it was translated from changed since it was brought up to date."),
                _("outdated"),
            )
        return codes

    # "Translate into ..." on the change form.

    def translation_links(self, obj):
        """[(label, url)] for the change form's object tools: each other language's version,
        or the add form that makes it."""
        links = []
        for code, _name in settings.LANGUAGES:
            if code == obj.language:
                continue
            version = getattr(obj, version_attr(code), None)
            name = in_language_name(code)
            if version:
                url = reverse(
                    f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[version]
                )
                links.append((_("%(language)s version") % {"language": name}, url, False))
            else:
                links.append(
                    (
                        _("Translate into %(language)s") % {"language": name},
                        self.translate_url(obj, code),
                        True,
                    )
                )
        return links

    def translate_url(self, obj, language):
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_add")
        return f"{url}?{urlencode({TRANSLATION_OF: obj.pk, 'language': language})}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None and self.has_add_permission(request):
            extra_context = {
                **(extra_context or {}),
                "translation_links": self.translation_links(obj),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # The add form, prefilled from the source.

    def translation_request(self, request):
        """(source, language) when the add form was opened by "Translate into ...", the
        source as this editor may see it; else None."""
        source_id, language = request.GET.get(TRANSLATION_OF), request.GET.get("language")
        if not source_id or not source_id.isdecimal():
            return None
        source = self.model.objects.filter(pk=int(source_id)).first()
        if source is None or not self.has_view_or_change_permission(request, source):
            return None
        return source, language

    def add_view(self, request, form_url="", extra_context=None):
        wanted = self.translation_request(request) if request.method == "GET" else None
        if wanted:
            source, language = wanted
            refusal = self.refuse_translation(request, source, language)
            if refusal:
                return refusal
        return super().add_view(request, form_url, extra_context)

    def refuse_translation(self, request, source, language):
        """A redirect with a message when `source` cannot get a version in `language`."""
        change = f"admin:{self.opts.app_label}_{self.opts.model_name}_change"
        if language not in dict(other_languages(source.language)):
            self.message_user(
                request, gettext("Choose another language to translate into."), messages.ERROR
            )
            return HttpResponseRedirect(reverse(change, args=[source.pk]))
        existing = (
            type(source)
            .objects.filter(translation_key=source.translation_key, language=language)
            .first()
        )
        if existing is not None:
            self.message_user(
                request,
                format_html(
                    gettext('There is a {} version already: <a href="{}">{}</a>.'),
                    in_language_name(language),
                    reverse(change, args=[existing.pk]),
                    existing,
                ),
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse(change, args=[existing.pk]))
        return None

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        wanted = self.translation_request(request)
        if wanted:
            source, language = wanted
            initial.update(self.translation_initial(source, language))
            initial[TRANSLATION_OF] = source.pk
            initial["language"] = language
        return initial

    def translation_initial(self, source, language):
        """The new version's initial form data, from its source."""
        raise NotImplementedError

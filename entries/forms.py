"""Forms used by the admin: the image upload and the entry form with its edit version."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .dates import editor_datetime
from .language_names import in_language_name
from .models import Entry, Image, Topic
from .validators import inspect_upload


class UploadedImageField(forms.ImageField):
    """An image upload judged by `inspect_upload()`; the file is renamed to a safe name."""

    # The extension says nothing about the content; `inspect_upload()` reads the content.
    default_validators = []

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)  # missing and empty files, name length
        if upload is None:
            return None
        info = inspect_upload(upload)
        upload.upload_info = info
        upload.content_type = info.content_type
        upload.name = info.stored_name
        return upload


class ImageForm(forms.ModelForm):
    file = UploadedImageField(
        help_text="JPEG, PNG, WebP or GIF. Size and dimensions are read from the file. "
        "Where and with what the photo was taken (GPS position, camera or phone, times) is "
        "removed from the file when it is stored; its orientation, colour profile, artist "
        "and copyright are kept.",
    )

    class Meta:
        model = Image
        fields = ["file", "caption", "alt_text", "decorative", "credit"]
        widgets = {
            "caption": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "alt_text": forms.TextInput(attrs={"class": "vLargeTextField"}),
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        info = getattr(upload, "upload_info", None)
        if info is not None:  # a new file (an unchanged one is the stored FieldFile)
            self.instance.original_name = info.display_name
        return upload


class TranslationFormMixin:
    """A new language version made with "Translate into ...": the form carries its source's
    id (`translation_of`), and the story's translation key is taken from that source here,
    never from what the browser posts. Slugs (and topic names) are unique per language: a
    clash is a message on the field, not a database error."""

    unique_per_language = ("slug",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "language" in self.fields:  # not posted: the default language, as before languages
            self.fields["language"].required = False

    def clean_language(self):
        return self.cleaned_data.get("language") or self.instance.language

    def clean(self):
        cleaned_data = super().clean()
        language = cleaned_data.get("language") or self.instance.language
        if not self.instance.pk and cleaned_data.get("translation_of"):
            self.clean_translation(cleaned_data["translation_of"], language)
        model = self._meta.model
        for name in self.unique_per_language:
            value = cleaned_data.get(name)
            if not value or name in self.errors:
                continue
            taken = model.objects.filter(language=language, **{name: value})
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error(
                    name,
                    ValidationError(
                        gettext("Another %(language)s version already uses this %(field)s.")
                        % {
                            "language": in_language_name(language),
                            "field": model._meta.get_field(name).verbose_name,
                        },
                        code="unique_per_language",
                    ),
                )
        return cleaned_data

    def clean_translation(self, source_id, language):
        model = self._meta.model
        source = model.objects.filter(pk=source_id).first()
        if source is None:
            raise ValidationError(gettext("The version to translate from was deleted meanwhile."))
        if source.language == language:
            self.add_error(
                "language", gettext("A translation is in another language than its source.")
            )
            return
        if model.objects.filter(translation_key=source.translation_key, language=language):
            raise ValidationError(
                gettext("This story has a %(language)s version already.")
                % {"language": in_language_name(language)}
            )
        self.instance.translation_key = source.translation_key
        self.made_from(source)

    def made_from(self, source):
        """Links the new version to its source (beyond the shared translation key)."""


class ImageTextsForm(ImageForm):
    """The image form with a caption and alt text per other language (`Image.translations`),
    made by `image_form()` from settings.LANGUAGES."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, _name in other_languages():
            texts = self.instance.translations.get(code, {})
            for field in TRANSLATED_IMAGE_TEXTS:
                self.fields[f"{field}_{code}"].initial = texts.get(field, "")

    def clean(self):
        cleaned_data = super().clean()
        decorative = cleaned_data.get("decorative")
        translations = dict(self.instance.translations or {})
        for code, _name in other_languages():
            texts = {
                field: (cleaned_data.get(f"{field}_{code}") or "").strip()
                for field in TRANSLATED_IMAGE_TEXTS
            }
            if decorative:
                texts["alt_text"] = ""  # nothing to describe, in any language
            elif texts["caption"] and not texts["alt_text"]:
                # Writing the photo's text in a language: describe it too, as in the default
                # language. A language with neither shows the default language's texts.
                self.add_error(
                    f"alt_text_{code}",
                    gettext(
                        "Describe the image in %(language)s too, or tick “decorative” if it "
                        "adds nothing."
                    )
                    % {"language": in_language_name(code)},
                )
            texts = {field: text for field, text in texts.items() if text}
            if texts:
                translations[code] = texts
            else:
                translations.pop(code, None)
        self.instance.translations = translations
        return cleaned_data


TRANSLATED_IMAGE_TEXTS = ("caption", "alt_text")


def other_languages():
    return [(code, name) for code, name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def image_text_fields():
    """The per-language field names, in form order: caption_fr, alt_text_fr, ..."""
    return [f"{field}_{code}" for code, _ in other_languages() for field in TRANSLATED_IMAGE_TEXTS]


def image_form():
    """`ImageTextsForm` with a caption and alt text field for each other configured language."""
    fields = {}
    for code, _name in other_languages():
        name = in_language_name(code)
        fields[f"caption_{code}"] = forms.CharField(
            label=_("Caption (%(language)s)") % {"language": name},
            max_length=500,
            required=False,
            widget=forms.TextInput(attrs={"class": "vLargeTextField"}),
            help_text=_("Empty: readers of that language see the caption above."),
        )
        fields[f"alt_text_{code}"] = forms.CharField(
            label=_("Alt text (%(language)s)") % {"language": name},
            max_length=500,
            required=False,
            widget=forms.TextInput(attrs={"class": "vLargeTextField", "lang": code}),
            help_text=_("Describes the photo in that language; required with a caption in it."),
        )
    return type("ImageTextsForm", (ImageTextsForm,), fields)


class EntryForm(TranslationFormMixin, forms.ModelForm):
    # The entry's version when the form was opened; a save from an older version is refused.
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    # "Translate into ...": the version this new one is translated from.
    translation_of = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    # A translation whose source changed: the editor says it is up to date again.
    up_to_date = forms.BooleanField(
        required=False,
        help_text=_(
            "Tick once this version says what the one it was translated from says now: the "
            "“outdated” marker goes away until that version's text changes again."
        ),
    )

    class Meta:
        model = Entry
        fields = [
            "language",
            "headline",
            "slug",
            "summary",
            "body",
            "image",
            "status",
            "pub_date",
            "planned_date",
            "topics",
        ]
        # Headlines are long: the admin's wide text input.
        widgets = {
            "headline": forms.TextInput(attrs={"class": "vLargeTextField"}),
            "slug": forms.TextInput(attrs={"class": "vLargeTextField"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["opened_version"].initial = self.instance.version if self.instance.pk else 0
        source = self.instance.translation_source if self.instance.pk else None
        if source is not None:
            self.fields["up_to_date"].label = _("Up to date with the %(language)s version") % {
                "language": in_language_name(source.language)
            }
        if "pub_date" in self.fields:
            # Empty until the editor types one: publishing then dates the entry (not the moment
            # this form was opened).
            self.fields["pub_date"].required = False
            self.fields["pub_date"].help_text = (
                "Leave empty to publish at the moment you press “Publish or schedule”. A past "
                "date files the entry in the archive; a future one schedules it."
            )
            if not self.instance.pk or not self.instance.pub_date_chosen:
                self.initial["pub_date"] = None

    def clean_pub_date(self):
        pub_date = self.cleaned_data.get("pub_date")
        if pub_date is not None:
            self.instance.pub_date_chosen = True
            return pub_date
        stored = Entry.objects.filter(pk=self.instance.pk).values("status").first()
        if stored and stored["status"] == Entry.Status.PUBLISHED:
            raise ValidationError("A published entry keeps its publication date: type one.")
        self.instance.pub_date_chosen = False
        return self.instance.pub_date or timezone.now()

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk:
            self.check_version(cleaned_data.get("opened_version"))
        if cleaned_data.get("up_to_date") and self.instance.translation_source_id:
            self.instance.source_digest = (
                Entry.objects.filter(pk=self.instance.translation_source_id)
                .values_list("content_digest", flat=True)
                .first()
                or ""
            )
        return cleaned_data

    def made_from(self, source):
        # A fresh translation starts up to date with its source.
        self.instance.translation_source = source
        self.instance.source_digest = source.content_digest

    def check_version(self, opened_version):
        # The row is locked until the admin's transaction ends (PostgreSQL), so no other save
        # can slip in between this check and this save.
        current = (
            Entry.objects.select_for_update()
            .filter(pk=self.instance.pk)
            .values("version", "updated")
            .first()
        )
        if current is None:
            raise ValidationError("This entry was deleted by someone else meanwhile.")
        if opened_version != current["version"]:
            raise ValidationError(self.stale_message(opened_version), code="stale_version")
        self.instance.version = current["version"] + 1

    def stale_message(self, opened_version):
        """Who saved meanwhile and when, with a link to their version compared with the one
        this form was opened on (or to the History page when that one is not kept)."""
        from .history import author, version_number, versions_of

        pk = self.instance.pk
        recent = list(versions_of(Entry, pk)[:50])
        theirs = recent[0] if recent else None
        mine = next((v for v in recent if version_number(v) == opened_version), None)
        if theirs is not None and mine is not None and mine.pk != theirs.pk:
            url = reverse("admin:entries_entry_compare", args=[pk])
            url = f"{url}?from={mine.pk}&to={theirs.pk}"
            link = "compare their version with the one you started from"
        else:
            url = reverse("admin:entries_entry_history", args=[pk])
            link = "see the entry's history"
        who = author(theirs) if theirs else "unknown"
        when = editor_datetime(theirs.revision.date_created) if theirs else ""
        return format_html(
            "Someone else saved this entry ({who}{at}) after you opened it, so your changes "
            "were not saved. They are still in this form: copy what you need, then "
            '<a href="{url}" target="_blank" rel="noopener">{link}</a> (in a new tab) and '
            "make your changes on the saved version.",
            who=who,
            at=f", {when}" if when else "",
            url=url,
            link=link,
        )


class TopicForm(TranslationFormMixin, forms.ModelForm):
    translation_of = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    unique_per_language = ("name", "slug")

    class Meta:
        model = Topic
        fields = ["language", "name", "slug", "description"]

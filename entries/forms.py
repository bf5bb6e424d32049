"""Forms used by the admin: the image upload and the entry form with its edit version."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from .dates import editor_datetime
from .models import Entry, Image
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


class EntryForm(forms.ModelForm):
    # The entry's version when the form was opened; a save from an older version is refused.
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    class Meta:
        model = Entry
        fields = [
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
        return cleaned_data

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

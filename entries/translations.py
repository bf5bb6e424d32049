"""One story in several languages: a row per language version, linked by a translation key.

As Wagtail does (TranslatableMixin): each language version of an entry is an entry of its own,
with its own headline, slug, summary, body, status and publication date, so a French version
may go public hours after the English one, or never. Versions of one story share
`translation_key`; at most one per language. Topics are made the same way, so a French entry
files under French topics and each language's topic pages count their own entries. Photos are
shared between languages: only their caption and alt text are translated (`Image.translations`).
"""

import hashlib
import uuid

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from newsroom.i18n import default_language, language_choices


class TranslatableQuerySet(models.QuerySet):
    def in_language(self, language=None):
        """Rows in `language`, by default the active one (the page's)."""
        return self.filter(language=language or translation.get_language())

    def translations_of(self, obj):
        """The other language versions of `obj`."""
        return self.filter(translation_key=obj.translation_key).exclude(pk=obj.pk)


class Translatable(models.Model):
    language = models.CharField(
        _("language"),
        max_length=12,
        choices=language_choices,
        default=default_language,
        help_text=_("The language this version is written in."),
    )
    translation_key = models.UUIDField(
        default=uuid.uuid4,
        editable=False,
        help_text="Shared by the language versions of one story.",
    )

    class Meta:
        abstract = True

    def translations(self):
        """The other language versions, as a queryset."""
        return type(self)._default_manager.translations_of(self)

    def copy_for_translation(self, language):
        """A new, unsaved version in `language`: the same translation key, the rest for the
        caller to fill (prefilled from this one)."""
        return type(self)(language=language, translation_key=self.translation_key)


def content_digest(*parts):
    """A fingerprint of a version's translatable text: a translation made from a source whose
    digest has changed since is outdated."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()

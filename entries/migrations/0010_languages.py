"""Languages (issue 13): every entry and topic so far is one story in the default language
(English), with a translation key of its own; entries get the digest of their text, against
which translations made later are compared. Reversible: going back drops the new columns (and
with them which language each row was in; rows of other languages stay as plain rows)."""

import hashlib

import django.db.models.deletion
import newsroom.i18n
import uuid
from django.db import migrations, models


def _digest(*parts):
    # entries.translations.content_digest, as it is today (historical models have no methods).
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def fill_translation_keys(apps, schema_editor):
    Entry = apps.get_model("entries", "Entry")
    Topic = apps.get_model("entries", "Topic")
    for topic in Topic.objects.all().only("pk"):
        Topic.objects.filter(pk=topic.pk).update(translation_key=uuid.uuid4(), language="en")
    for pk, headline, summary, body in Entry.objects.values_list("pk", "headline", "summary", "body").iterator():
        Entry.objects.filter(pk=pk).update(
            translation_key=uuid.uuid4(), language="en", content_digest=_digest(headline, summary, body)
        )


class Migration(migrations.Migration):

    dependencies = [
        ('entries', '0009_issue12_editorial_desk'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='entry',
            name='entry_listing_idx',
        ),
        migrations.AddField(
            model_name='entry',
            name='content_digest',
            field=models.CharField(blank=True, editable=False, help_text='Fingerprint of the headline, summary and body (entries.translations).', max_length=64),
        ),
        migrations.AddField(
            model_name='entry',
            name='language',
            field=models.CharField(choices=newsroom.i18n.language_choices, default=newsroom.i18n.default_language, help_text='The language this version is written in.', max_length=12),
        ),
        migrations.AddField(
            model_name='entry',
            name='source_digest',
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name='entry',
            name='translation_key',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.AddField(
            model_name='entry',
            name='translation_source',
            field=models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='translations_made', to='entries.entry'),
        ),
        migrations.AddField(
            model_name='image',
            name='translations',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='topic',
            name='language',
            field=models.CharField(choices=newsroom.i18n.language_choices, default=newsroom.i18n.default_language, help_text='The language this version is written in.', max_length=12),
        ),
        migrations.AddField(
            model_name='topic',
            name='translation_key',
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(fill_translation_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='entry',
            name='translation_key',
            field=models.UUIDField(default=uuid.uuid4, editable=False, help_text='Shared by the language versions of one story.'),
        ),
        migrations.AlterField(
            model_name='topic',
            name='translation_key',
            field=models.UUIDField(default=uuid.uuid4, editable=False, help_text='Shared by the language versions of one story.'),
        ),
        migrations.AlterField(
            model_name='entry',
            name='slug',
            field=models.SlugField(help_text="The entry's address: /entries/this-slug/ (filled in from the headline); unique in its language.", max_length=300),
        ),
        migrations.AlterField(
            model_name='topic',
            name='name',
            field=models.CharField(max_length=200),
        ),
        migrations.AlterField(
            model_name='topic',
            name='slug',
            field=models.SlugField(max_length=200),
        ),
        migrations.AddIndex(
            model_name='entry',
            index=models.Index(fields=['language', 'status', '-pub_date', '-id'], name='entry_listing_idx'),
        ),
        migrations.AddConstraint(
            model_name='entry',
            constraint=models.UniqueConstraint(fields=('language', 'slug'), name='entry_slug_per_language'),
        ),
        migrations.AddConstraint(
            model_name='entry',
            constraint=models.UniqueConstraint(fields=('translation_key', 'language'), name='entry_one_per_language'),
        ),
        migrations.AddConstraint(
            model_name='topic',
            constraint=models.UniqueConstraint(fields=('language', 'name'), name='topic_name_per_language'),
        ),
        migrations.AddConstraint(
            model_name='topic',
            constraint=models.UniqueConstraint(fields=('language', 'slug'), name='topic_slug_per_language'),
        ),
        migrations.AddConstraint(
            model_name='topic',
            constraint=models.UniqueConstraint(fields=('translation_key', 'language'), name='topic_one_per_language'),
        ),
        migrations.AddField(
            model_name='oldslug',
            name='language',
            field=models.CharField(default=newsroom.i18n.default_language, max_length=12),
        ),
        migrations.AlterField(
            model_name='oldslug',
            name='slug',
            field=models.SlugField(max_length=300),
        ),
        migrations.AddConstraint(
            model_name='oldslug',
            constraint=models.UniqueConstraint(fields=('language', 'slug'), name='old_slug_per_language'),
        ),
    ]

"""`manage.py generate_entries` makes real entries in one language (SQL on PostgreSQL,
bulk_create elsewhere): each its own story, with the fingerprint a save would give it."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from entries.models import Entry, Topic
from entries.translations import content_digest

pytestmark = pytest.mark.django_db


def generate(*args):
    call_command("generate_entries", *args, stdout=io.StringIO())


def test_generated_entries_are_in_the_default_language_each_its_own_story(client):
    generate("30")
    entries = Entry.objects.all()
    assert entries.count() == 30
    assert set(entries.values_list("language", flat=True)) == {"en"}
    assert len(set(entries.values_list("translation_key", flat=True))) == 30
    for entry in entries:
        assert entry.content_digest == content_digest(entry.headline, entry.summary, entry.body)
        assert not entry.is_outdated
    assert "<h1>30 Entries</h1>" in client.get("/").text
    assert "<h1>0 article</h1>" in client.get("/fr/").text


def test_generated_entries_in_french(client):
    generate("12")
    generate("20", "--language", "fr")
    french = Entry.objects.in_language("fr")
    assert french.count() == 20
    assert Entry.objects.in_language("en").count() == 12
    for entry in french:
        assert entry.content_digest == content_digest(entry.headline, entry.summary, entry.body)
        assert set(entry.topics.values_list("language", flat=True)) == {"fr"}
    assert Topic.objects.in_language("fr").count() == Topic.objects.in_language("en").count()
    assert "<h1>20 articles</h1>" in client.get("/fr/").text
    assert "<h1>12 Entries</h1>" in client.get("/").text
    entry = french.first()
    assert client.get(entry.get_absolute_url()).status_code == 200
    assert entry.get_absolute_url().startswith("/fr/entries/")


def test_generated_entries_refuse_an_unknown_language():
    with pytest.raises(CommandError, match="unknown language"):
        generate("3", "--language", "xx")
    assert not Entry.objects.exists()

"""dumpdata, then loaddata into an empty database, gives back identical entries, images, topics."""

from datetime import UTC, datetime

import pytest
from django.core import serializers
from django.core.management import call_command
from django.core.serializers.json import Serializer as DjangoJSONSerializer

from entries.models import Entry, Image, Topic
from tests import snapshot
from tests.factories import make_entry, make_image, make_topic, make_translation


@pytest.fixture
def content(db):
    """Awkward but legal content: microseconds, unicode, empty fields, links both ways."""
    trade, energy = make_topic("Trade"), make_topic("Énergie", description="Ça « marche ».\n\nOui.")
    photo = make_image(
        caption="Port d'Anvers — 🚢",
        alt_text="",
        credit="EU/Ω",
        translations={"fr": {"caption": "Le port « d\u2019Anvers »", "alt_text": "Grues"}},
    )
    source = make_entry(
        headline='Über <b>tags</b> & "quotes"',
        pub_date=datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC),
        image=photo,
        body="Line one.\n\nLine two\r\nwith CRLF.\x0b",
    )
    source.topics.set([trade, energy])
    # A French version (and topic) of the first, linked to it as one story.
    french = make_translation(
        source, headline="Über « tags »", pub_date=datetime(2024, 3, 1, tzinfo=UTC)
    )
    french.topics.set([make_translation(trade)])
    make_entry(status=Entry.Status.DRAFT, body="").topics.set([energy])
    make_entry(pub_date=datetime(2099, 1, 1, tzinfo=UTC))  # scheduled
    Image.objects.filter(pk=photo.pk).update(updated=datetime(2020, 1, 1, 0, 0, 0, 1, tzinfo=UTC))


def empty_the_tables():
    Entry.objects.all().delete()
    Image.objects.all().delete()
    Topic.objects.all().delete()
    assert snapshot.database() == {label: [] for label in snapshot.database()}


def test_dump_and_load_give_identical_rows(content, tmp_path):
    before = snapshot.database()
    dump = tmp_path / "dump.json"
    call_command("dumpdata", "entries", natural_foreign=True, output=str(dump))
    empty_the_tables()

    call_command("loaddata", str(dump), verbosity=0)

    assert snapshot.database() == before
    # The database's id sequences moved past the loaded rows: new rows still save.
    highest = max(Entry.objects.values_list("pk", flat=True))
    assert make_entry().pk > highest


def test_json_dumps_keep_microseconds(content):
    """Django's own JSON cuts times to milliseconds; the project's "json" format does not."""
    entry = Entry.objects.get(pub_date=datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=UTC))
    loaded = next(serializers.deserialize("json", serializers.serialize("json", [entry]))).object
    assert loaded.pub_date == entry.pub_date
    plain = DjangoJSONSerializer().serialize([entry])
    assert next(serializers.deserialize("json", plain)).object.pub_date != entry.pub_date

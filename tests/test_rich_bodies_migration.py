"""The migration to HTML bodies: plain text becomes what `linebreaks` showed, and back."""

from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.html import linebreaks

from entries.body import render

from .test_migrations import empty_database  # noqa: F401 (a fixture)

BEFORE = ("entries", "0006_image_rendition_sources")
AFTER = ("entries", "0007_11_rich_bodies")

BODIES = [
    "One paragraph.",
    "First \"quoted\" & 'apostrophes' <b>not markup</b>.\nA second line.\n\nSecond paragraph.",
    "Line\r\nwindows\r\n\r\nparagraph with a\u00a0no-break space and “curly” quotes",
    "",
]


def migrate(connection, target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def test_plain_bodies_become_the_html_linebreaks_showed_and_back(empty_database):  # noqa: F811
    connection = empty_database
    apps = migrate(connection, BEFORE)
    Entry = apps.get_model("entries", "Entry")
    ids = [
        Entry.objects.using(connection.alias)
        .create(headline=f"H{n}", slug=f"h{n}", summary="S", body=body, pub_date=timezone.now())
        .pk
        for n, body in enumerate(BODIES)
    ]

    apps = migrate(connection, AFTER)
    Entry = apps.get_model("entries", "Entry")
    for pk, body in zip(ids, BODIES, strict=True):
        stored = Entry.objects.using(connection.alias).get(pk=pk)
        # What the page showed before (`{{ entry.body|linebreaks }}`), byte for byte.
        assert stored.body == (linebreaks(body, autoescape=True) if body else "")
        assert render(stored) == stored.body

    apps = migrate(connection, BEFORE)
    Entry = apps.get_model("entries", "Entry")
    for pk, body in zip(ids, BODIES, strict=True):
        expected = body.replace("\r\n", "\n")
        assert Entry.objects.using(connection.alias).get(pk=pk).body == expected

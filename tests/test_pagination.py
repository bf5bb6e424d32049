"""Deep pages are read by seeking through the listing index; they must list what OFFSET would."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from entries import pagination
from entries.models import Entry

from .factories import make_entry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


@override_settings(ENTRIES_PER_PAGE=3)
def test_every_page_lists_the_same_entries_as_plain_offsets(client, monkeypatch):
    monkeypatch.setattr(pagination, "SEEK_FROM", 2)  # seek from the third entry on
    now = timezone.now()
    for n in range(20):
        # Pairs share a publication time, so the id tie-breaker matters.
        make_entry(pub_date=now - timedelta(hours=n // 2))
    expected = list(Entry.objects.published().values_list("slug", flat=True))
    seen = []
    for page in range(1, 8):
        response = client.get(f"/?page={page}")
        assert response.status_code == 200
        seen += [entry.slug for entry in response.context["entry_list"]]
    assert seen == expected
    assert client.get("/?page=8").status_code == 404


def test_count_is_kept_per_content_version(client):
    make_entry()
    client.get("/")
    with override_settings(PAGE_CACHE=False), CaptureQueriesContext(connection) as queries:
        assert "<h1>1 Entry</h1>" in client.get("/").text
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
    make_entry()
    with override_settings(PAGE_CACHE=False):
        assert "<h1>2 Entries</h1>" in client.get("/").text


@override_settings(ENTRIES_PER_PAGE=1)
@pytest.mark.parametrize(
    "number", ["1_0", "\uff11", "\u0662", "\uff11\uff10", " 1", "1 ", "+1", "-0"]
)
def test_page_numbers_are_ascii_digits_only(client, number):
    """`int()` reads all of these (full-width and Arabic-Indic digits too) as a page that
    exists; each would be one more address of it."""
    for _ in range(12):
        make_entry()
    assert client.get("/", {"page": number}).status_code == 404
    assert client.get("/", {"page": "2"}).status_code == 200
    assert client.get("/", {"page": "02"}).status_code == 200

"""Two editors saving one entry at the same moment, on PostgreSQL: the row lock taken while the
form checks its version makes the second save wait for the first, then refuses it."""

import threading
import time

import pytest
from django.db import connection
from django.test import Client

from entries.admin import EntryAdmin
from entries.models import Entry

from .factories import make_editor, make_entry
from .test_admin import ENTRIES, entry_form_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_saves_never_overwrite_each_other(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks; PostgreSQL is the production database")
    editor = make_editor()
    entry = make_entry(headline="Before")
    opened_by_both = entry_form_data(entry)
    first_is_saving, first_may_finish = threading.Event(), threading.Event()
    responses = {}

    save_model = EntryAdmin.save_model

    def held_save_model(self, request, obj, form, change):
        if obj.headline == "First":  # hold the first save after its version check
            first_is_saving.set()
            first_may_finish.wait(10)
        return save_model(self, request, obj, form, change)

    monkeypatch.setattr(EntryAdmin, "save_model", held_save_model)

    def save(headline):
        client = Client()
        client.force_login(editor)
        try:
            responses[headline] = client.post(
                f"{ENTRIES}{entry.pk}/change/", {**opened_by_both, "headline": headline}
            )
        finally:
            connection.close()

    first = threading.Thread(target=save, args=["First"])
    second = threading.Thread(target=save, args=["Second"])
    first.start()
    assert first_is_saving.wait(10)
    second.start()
    time.sleep(1)  # the second save reaches the version check and waits on the row lock
    assert "Second" not in responses, "the second save cannot finish while the first holds it"
    first_may_finish.set()
    first.join(10)
    second.join(10)

    assert responses["First"].status_code == 302
    assert responses["Second"].status_code == 200
    assert "Someone else saved this entry" in responses["Second"].text
    entry.refresh_from_db()
    assert (entry.headline, entry.version) == ("First", opened_by_both["opened_version"] + 1)
    assert Entry.objects.count() == 1

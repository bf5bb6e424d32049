"""Publication dates tell the truth: a draft is dated when it is published, unless the editor
typed a date; "Last updated" means changed after it went public. And the small things editors
noticed in the entry admin."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from entries.models import Entry

from .factories import make_editor, make_entry, make_topic
from .test_admin import ENTRIES, entry_form_data
from .text import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def without_date(data):
    return {**data, "pub_date_0": "", "pub_date_1": ""}


def days_ago(days):
    return timezone.now() - timedelta(days=days)


def test_the_add_form_leaves_the_publication_date_empty(editor_client):
    page = editor_client.get(f"{ENTRIES}add/").text
    assert 'name="pub_date_0" value=""' in page or 'name="pub_date_0" class="vDateField"' in page
    assert "Leave empty to publish at the moment you press" in page


def test_a_draft_written_on_monday_and_published_on_wednesday_is_dated_wednesday(
    editor_client, client
):
    editor_client.post(f"{ENTRIES}add/", {**without_date(entry_form_data()), "_save_draft": "1"})
    draft = Entry.objects.get()
    assert not draft.pub_date_chosen
    # It was written on Monday; Tuesday's story went out since.
    Entry.objects.filter(pk=draft.pk).update(
        pub_date=days_ago(2), created=days_ago(2), updated=days_ago(2)
    )
    tuesday = make_entry(headline="Tuesday's story", pub_date=days_ago(1))
    draft.refresh_from_db()

    before = timezone.now().replace(microsecond=0)
    response = editor_client.post(
        f"{ENTRIES}{draft.pk}/change/", {**without_date(entry_form_data(draft)), "_publish": "1"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.pub_date >= before
    assert draft.publication_state == Entry.State.PUBLISHED
    assert list(Entry.objects.published()) == [draft, tuesday]
    assert "Last updated" not in visible_text(client.get(draft.get_absolute_url()).text)


def test_a_draft_whose_form_was_opened_long_ago_is_dated_when_published(editor_client):
    # The add form was opened on Monday and sent with "Publish" on Wednesday: the empty date
    # means "now", not the moment the form was opened.
    before = timezone.now().replace(microsecond=0)
    editor_client.post(f"{ENTRIES}add/", {**without_date(entry_form_data()), "_publish": "1"})
    entry = Entry.objects.get()
    assert entry.pub_date >= before and entry.pub_date_chosen


def test_a_typed_past_date_files_the_entry_in_the_archive_without_last_updated(
    editor_client, client
):
    archive = timezone.localtime(days_ago(400))
    data = entry_form_data(
        pub_date_0=archive.strftime("%Y-%m-%d"), pub_date_1=archive.strftime("%H:%M:%S")
    )
    editor_client.post(f"{ENTRIES}add/", {**data, "_save_draft": "1"})
    entry = Entry.objects.get()
    assert entry.pub_date_chosen
    editor_client.post(f"{ENTRIES}{entry.pk}/change/", {**entry_form_data(entry), "_publish": "1"})
    entry.refresh_from_db()
    assert entry.pub_date.replace(microsecond=0) == archive.replace(microsecond=0)
    assert entry.is_published
    assert "Last updated" not in visible_text(client.get(entry.get_absolute_url()).text)

    # A correction made a day after it went public does show.
    Entry.objects.filter(pk=entry.pk).update(updated=timezone.now() + timedelta(days=1))
    assert "Last updated" in visible_text(client.get(entry.get_absolute_url()).text)


def test_a_typed_future_date_schedules_and_is_kept(editor_client):
    future = timezone.localtime() + timedelta(days=3)
    data = entry_form_data(
        pub_date_0=future.strftime("%Y-%m-%d"), pub_date_1=future.strftime("%H:%M:%S")
    )
    editor_client.post(f"{ENTRIES}add/", {**data, "_publish": "1"})
    entry = Entry.objects.get()
    assert entry.publication_state == Entry.State.SCHEDULED
    assert entry.pub_date.replace(microsecond=0) == future.replace(microsecond=0)


def test_a_draft_form_shows_the_date_only_when_one_was_typed(editor_client):
    editor_client.post(f"{ENTRIES}add/", {**without_date(entry_form_data()), "_save_draft": "1"})
    entry = Entry.objects.get()
    page = editor_client.get(f"{ENTRIES}{entry.pk}/change/").text
    assert timezone.localtime(entry.pub_date).strftime("%Y-%m-%d") not in page


def test_a_published_entry_cannot_lose_its_date(editor_client):
    entry = make_entry(headline="On the site")
    response = editor_client.post(
        f"{ENTRIES}{entry.pk}/change/", without_date(entry_form_data(entry, headline="Changed"))
    )
    assert response.status_code == 200
    assert "A published entry keeps its publication date" in response.text
    entry.refresh_from_db()
    assert entry.headline == "On the site"


def test_bulk_publish_dates_undated_drafts_now_and_keeps_typed_dates(editor_client):
    undated = make_entry(status=Entry.Status.DRAFT, pub_date=days_ago(5), pub_date_chosen=False)
    typed = make_entry(status=Entry.Status.DRAFT, pub_date=days_ago(30))
    before = timezone.now().replace(microsecond=0)
    editor_client.post(ENTRIES, {"action": "publish", "_selected_action": [undated.pk, typed.pk]})
    undated.refresh_from_db()
    typed.refresh_from_db()
    assert undated.pub_date >= before and undated.pub_date_chosen
    assert typed.pub_date < before - timedelta(days=29)
    assert undated.is_published and typed.is_published
    assert not undated.was_updated and not typed.was_updated


# The small things.


def test_the_scheduled_message_ends_with_one_full_stop(editor_client):
    future = timezone.localtime().replace(hour=8, minute=0) + timedelta(days=3)
    data = entry_form_data(
        pub_date_0=future.strftime("%Y-%m-%d"), pub_date_1=future.strftime("%H:%M:%S")
    )
    response = editor_client.post(f"{ENTRIES}add/", {**data, "_publish": "1"}, follow=True)
    when = date_format(future, "j N Y, H:i")  # "5 Dec. 2026, 08:00"
    assert when.endswith(", 08:00")
    assert f"Scheduled for {when}. <a href=" in response.text
    assert ".. " not in visible_text(response.text)


def test_save_as_draft_keeps_the_editor_on_the_entry(editor_client):
    response = editor_client.post(f"{ENTRIES}add/", {**entry_form_data(), "_save_draft": "1"})
    entry = Entry.objects.get()
    assert response["Location"] == f"{ENTRIES}{entry.pk}/change/"


def test_the_delete_confirmation_lists_no_topic_link_objects(editor_client):
    entry = make_entry(headline="To go")
    entry.topics.add(make_topic(), make_topic())
    page = editor_client.get(f"{ENTRIES}{entry.pk}/delete/").text
    assert "Entry_topics object" not in page
    assert "relationship" not in page
    assert "To go" in page
    editor_client.post(f"{ENTRIES}{entry.pk}/delete/", {"post": "yes"})
    assert not Entry.objects.exists()


def test_the_admin_is_called_newsroom(editor_client):
    page = editor_client.get("/admin/").text
    assert "Django administration" not in page
    assert ">Newsroom</a>" in page


def test_delete_comes_after_every_saving_button(editor_client):
    entry = make_entry()
    page = editor_client.get(f"{ENTRIES}{entry.pk}/change/").text
    row = page[page.index('class="submit-row"') :]
    assert row.index('name="_publish"') < row.index('name="_save_draft"') < row.index("Delete")
    assert row.index('name="_continue"') < row.index("Delete")

"""History and restore: every change to an entry is a version an editor can read, compare,
restore; deleted entries come back; the history is pruned on demand."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from reversion.models import Revision, Version

from entries import history
from entries.models import Entry, Image

from .factories import make_editor, make_entry, make_image, make_topic
from .test_admin import ENTRIES, entry_form_data
from .text import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    return make_editor("ada")


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


def new_entry(**fields):
    # A date a day ago: the shared date sequence can land in a daylight-saving gap, which the
    # form refuses.
    return make_entry(**{"pub_date": timezone.now() - timedelta(days=1), **fields})


def edit(client, entry, **changes):
    entry.refresh_from_db()
    response = client.post(f"{ENTRIES}{entry.pk}/change/", entry_form_data(entry, **changes))
    assert response.status_code == 302, (
        [str(e) for e in response.context["adminform"].form.errors.items()]
        if response.context
        else response.status_code
    )
    entry.refresh_from_db()
    return response


def comments(entry):
    return [version.revision.comment for version in history.versions_of(entry)]


def test_each_admin_save_is_a_version_with_its_author_and_what_happened(ada_client):
    ada_client.post(f"{ENTRIES}add/", {**entry_form_data(headline="First"), "_save_draft": "1"})
    entry = Entry.objects.get()
    edit(ada_client, entry, headline="Second")
    ada_client.post(f"{ENTRIES}{entry.pk}/change/", {**entry_form_data(entry), "_publish": "1"})
    entry.refresh_from_db()
    ada_client.post(f"{ENTRIES}{entry.pk}/change/", {**entry_form_data(entry), "_save_draft": "1"})
    assert comments(entry) == ["Unpublished", "Published", "Edited", "Created as a draft"]
    versions = list(history.versions_of(entry))
    assert {history.author(version) for version in versions} == {"ada"}
    assert [history.version_number(version) for version in versions] == [4, 3, 2, 1]
    assert versions[-1].field_dict["headline"] == "First"


def test_scheduling_is_said_with_its_date(ada_client):
    future = timezone.localtime() + timedelta(days=2)
    future = future.replace(hour=8, minute=0, second=0, microsecond=0)
    data = entry_form_data(
        pub_date_0=future.strftime("%Y-%m-%d"), pub_date_1=future.strftime("%H:%M:%S")
    )
    ada_client.post(f"{ENTRIES}add/", {**data, "_publish": "1"})
    entry = Entry.objects.get()
    day = f"{future.day} {future.strftime('%b')}"
    (comment,) = comments(entry)
    assert comment.startswith(f"Scheduled for {day}") and comment.endswith(", 08:00")


def test_topics_are_part_of_each_version(ada_client):
    entry = new_entry()
    economy, trade = make_topic("Economy"), make_topic("Trade")
    edit(ada_client, entry, topics=[economy.pk, trade.pk])
    edit(ada_client, entry, topics=[trade.pk])
    newest, older = list(history.versions_of(entry))[:2]
    assert sorted(older.field_dict["topics"]) == sorted([economy.pk, trade.pk])
    assert newest.field_dict["topics"] == [trade.pk]


def test_bulk_publish_and_unpublish_leave_versions_naming_the_action(ada_client):
    drafts = [new_entry(status=Entry.Status.DRAFT) for _ in range(2)]
    selected = [entry.pk for entry in drafts]
    ada_client.post(ENTRIES, {"action": "publish", "_selected_action": selected})
    ada_client.post(ENTRIES, {"action": "unpublish", "_selected_action": selected[:1]})
    assert comments(drafts[0]) == [
        "Unpublished, with the bulk action “Unpublish the selected entries”",
        "Published, with the bulk action “Publish the selected entries”",
    ]
    assert history.versions_of(drafts[1]).get().field_dict["status"] == "published"
    # One revision for the whole bulk publish, by its author.
    revision = Revision.objects.get(comment__startswith="Published, with the bulk")
    assert revision.version_set.count() == 2 and revision.user.username == "ada"


def test_queryset_updates_and_commands_are_recorded_as_system(
    django_capture_on_commit_callbacks,
):
    entry = new_entry(headline="Made in a command")
    Entry.objects.filter(pk=entry.pk).update(headline="Changed by update()")
    version = history.versions_of(entry).get()
    assert version.field_dict["headline"] == "Changed by update()"
    assert history.author(version) == "system"

    with django_capture_on_commit_callbacks(execute=True):
        other = new_entry(headline="From the shell")
        other.topics.add(make_topic())
    version = history.versions_of(other).first()
    assert history.author(version) == "system"
    assert version.field_dict["headline"] == "From the shell"
    assert len(version.field_dict["topics"]) == 1

    # A save that changes nothing an editor sees adds no version.
    with django_capture_on_commit_callbacks(execute=True):
        other.save()
    assert history.versions_of(other).count() == len(history.versions_of(other))


def test_an_entry_saved_again_in_one_transaction_is_recorded_once(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        entry = new_entry(headline="Created, then given a topic")
        entry.topics.add(make_topic())
        # A save rolled back inside the transaction records nothing of its own.
        try:
            with transaction.atomic():
                Entry.objects.filter(pk=entry.pk).update(headline="Rolled back")
                entry.save()
                raise RuntimeError
        except RuntimeError:
            pass
    recordings = [c for c in callbacks if getattr(c, "func", None) is history._record_system_change]
    assert len(recordings) == 1
    version = history.versions_of(entry).get()
    assert version.field_dict["headline"] == "Created, then given a topic"
    assert len(version.field_dict["topics"]) == 1


def test_saving_an_entry_in_the_admin_adds_at_most_three_queries(ada_client, monkeypatch):
    entry = new_entry(headline="Counted")
    entry.topics.add(make_topic(), make_topic())

    def count_save(headline):
        entry.refresh_from_db()
        with CaptureQueriesContext(connection) as queries:
            edit(ada_client, entry, headline=headline)
        return len(queries)

    count_save("Warm-up")  # the stored date loses its microseconds; content types are read
    with_history = count_save("With history")
    monkeypatch.setattr(history, "add", lambda *args, **kwargs: None)
    without = count_save("Without history")
    assert with_history - without <= 3


def test_history_page_lists_versions_newest_first_with_author_and_changes(ada_client):
    bea = make_editor("bea")
    entry = new_entry(headline="Harbour opens")
    edit(ada_client, entry)
    edit(ada_client, entry, headline="Harbour reopens")
    ada_client.force_login(bea)
    edit(ada_client, entry, summary="A new summary.")
    page = ada_client.get(f"{ENTRIES}{entry.pk}/history/")
    assert page.status_code == 200
    rows = page.text  # the table sits in the comparison's form
    assert rows.index("<td>bea</td>") < rows.index("<td>ada</td>")
    assert "<td>summary</td>" in rows and "<td>headline</td>" in rows
    assert "<td>first version</td>" in rows
    assert "Restore version" in page.text


def test_compare_shows_a_word_diff_and_old_and_new_values(ada_client):
    photo = make_image("harbour.jpg", caption="The harbour")
    entry = new_entry(headline="The harbour opens today", image=None)
    edit(ada_client, entry)
    edit(ada_client, entry, headline="The harbour reopens today", image=photo.pk)
    edit(ada_client, entry, summary="Ships <b>came</b> in.")
    newest, first = history.versions_of(entry)[0], history.versions_of(entry).last()
    response = ada_client.get(
        f"{ENTRIES}{entry.pk}/history/compare/", {"from": first.pk, "to": newest.pk}
    )
    assert response.status_code == 200
    assert "<del>opens</del><ins>reopens</ins>" in response.text
    assert "&lt;b&gt;came&lt;/b&gt;" in response.text  # typed text (a plain summary) escaped
    assert "No photo" in response.text and photo.public_line in response.text
    # Versions of another entry, or none, are not found.
    other = new_entry()
    edit(ada_client, other, headline="Other")
    theirs = history.versions_of(other).first()
    url = f"{ENTRIES}{entry.pk}/history/compare/"
    assert ada_client.get(url, {"from": first.pk, "to": theirs.pk}).status_code == 404
    assert ada_client.get(url, {"from": "x"}).status_code == 404


def test_restore_brings_back_the_text_as_a_new_version_and_keeps_the_status(ada_client, client):
    economy = make_topic("Economy")
    entry = new_entry(headline="The first headline")
    edit(ada_client, entry, topics=[economy.pk])
    first = history.versions_of(entry).get()
    edit(ada_client, entry, headline="A worse headline", topics=[])
    ada_client.post(f"{ENTRIES}{entry.pk}/change/", {**entry_form_data(entry), "_save_draft": "1"})
    entry.refresh_from_db()
    assert entry.status == Entry.Status.DRAFT

    url = f"{ENTRIES}{entry.pk}/history/{first.pk}/restore/"
    assert "Restore version 2" in ada_client.get(url).text
    response = ada_client.post(url)
    assert response["Location"] == f"{ENTRIES}{entry.pk}/change/"
    entry.refresh_from_db()
    assert entry.headline == "The first headline"
    assert list(entry.topics.all()) == [economy]
    assert entry.status == Entry.Status.DRAFT  # kept
    assert comments(entry)[0] == "Restored version 2"

    # Restoring the status too publishes it again.
    ada_client.post(url, {"with_status": "on"})
    entry.refresh_from_db()
    assert entry.is_published
    assert "The first headline" in client.get(entry.get_absolute_url()).text


def test_restoring_needs_change_permission_and_status_needs_publish_permission(client):
    entry = new_entry(headline="Old")
    entry.headline = "New"
    with history.recording(comment="test"):
        entry.save()
        history.add(entry)
    edited = history.versions_of(entry).first()
    with history.recording(comment="test"):
        entry.status = Entry.Status.DRAFT
        entry.save()
        history.add(entry)
    url = f"{ENTRIES}{entry.pk}/history/{edited.pk}/restore/"

    viewer = get_user_model().objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.set(
        Group.objects.get(name="Editors").permissions.filter(codename="view_entry")
    )
    client.force_login(viewer)
    assert client.get(f"{ENTRIES}{entry.pk}/history/").status_code == 200
    assert client.post(url).status_code == 403

    writer = get_user_model().objects.create_user("writer", is_staff=True)
    writer.user_permissions.set(
        Group.objects.get(name="Editors").permissions.exclude(codename="publish_entry")
    )
    client.force_login(writer)
    assert client.post(url, {"with_status": "on"}).status_code == 403
    entry.refresh_from_db()
    assert entry.status == Entry.Status.DRAFT
    assert client.post(url).status_code == 302
    entry.refresh_from_db()
    assert entry.status == Entry.Status.DRAFT and entry.headline == "New"


def test_a_restore_that_cannot_be_done_changes_nothing(ada_client):
    entry = new_entry(slug="the-slug", headline="Before")
    edit(ada_client, entry, headline="Before")
    first = history.versions_of(entry).get()
    edit(ada_client, entry, slug="moved", headline="After")
    new_entry(slug="the-slug", headline="Took the address")
    before = history.versions_of(entry).count()
    response = ada_client.post(f"{ENTRIES}{entry.pk}/history/{first.pk}/restore/", follow=True)
    assert "now has the address" in response.text
    entry.refresh_from_db()
    assert (entry.headline, entry.slug) == ("After", "moved")
    assert history.versions_of(entry).count() == before


def test_deleted_entries_are_recovered_with_their_topics_and_photo(ada_client, client):
    photo = make_image("kept.jpg")
    economy = make_topic("Economy")
    entry = new_entry(headline="Deleted by mistake", image=photo)
    edit(ada_client, entry, topics=[economy.pk])
    pk = entry.pk
    ada_client.post(f"{ENTRIES}{pk}/delete/", {"post": "yes"})
    assert not Entry.objects.filter(pk=pk).exists()

    listing = ada_client.get(f"{ENTRIES}recover/")
    assert listing.status_code == 200
    assert "Deleted by mistake" in listing.text and "by ada" in visible_text(listing.text)
    version = history.deleted_entries().get(entry_id=pk)
    response = ada_client.post(f"{ENTRIES}recover/{version.pk}/")
    assert response["Location"] == f"{ENTRIES}{pk}/change/"
    entry = Entry.objects.get(pk=pk)
    assert entry.image == photo and list(entry.topics.all()) == [economy]
    assert "Deleted by mistake" in client.get("/").text
    assert "No deleted entries" in ada_client.get(f"{ENTRIES}recover/").text
    assert comments(entry)[0] == "Recovered after deletion"


def test_recovering_needs_the_add_permission(client):
    entry = new_entry()
    with history.recording(comment="test"):
        history.add(entry)
    pk = entry.pk
    entry.delete()
    version = history.deleted_entries().get(entry_id=pk)
    changer = get_user_model().objects.create_user("changer", is_staff=True)
    changer.user_permissions.set(
        Group.objects.get(name="Editors").permissions.exclude(codename="add_entry")
    )
    client.force_login(changer)
    assert client.get(f"{ENTRIES}recover/").status_code == 403
    assert client.post(f"{ENTRIES}recover/{version.pk}/").status_code == 403
    assert not Entry.objects.filter(pk=pk).exists()


@pytest.mark.parametrize(
    "path",
    ["{entry}/history/", "{entry}/history/compare/?from={v}&to={v}", "recover/"],
)
def test_history_pages_are_for_staff_only(client, path):
    entry = new_entry()
    with history.recording(comment="test"):
        history.add(entry)
    url = ENTRIES + path.format(entry=entry.pk, v=history.versions_of(entry).get().pk)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(get_user_model().objects.create_user("reader"))
    assert client.get(url).status_code == 302  # not staff: to the login page
    client.force_login(make_editor())
    assert client.get(url).status_code == 200


def test_image_text_changes_are_versioned(ada_client):
    image = make_image("photo.jpg", caption="Old caption", credit="")
    response = ada_client.post(
        f"/admin/entries/image/{image.pk}/change/",
        {"caption": "New caption", "alt_text": "A description", "credit": "Ada Lovelace"},
    )
    assert response.status_code == 302, response.content[:2000]
    version = history.versions_of(image).get()
    assert version.field_dict["caption"] == "New caption"
    page = ada_client.get(f"/admin/entries/image/{image.pk}/history/").text
    assert "New caption" in page and "Ada Lovelace" in page
    assert Image.objects.get().caption == "New caption"


def test_the_concurrent_edit_refusal_says_who_and_links_to_the_comparison(client):
    ada, bea = make_editor("ada"), make_editor("bea")
    entry = new_entry(headline="Shared")
    client.force_login(ada)
    edit(client, entry, headline="Opened by both")
    opened = entry_form_data(entry)
    client.force_login(bea)
    client.post(f"{ENTRIES}{entry.pk}/change/", {**opened, "headline": "Bea was first"})
    client.force_login(ada)
    response = client.post(f"{ENTRIES}{entry.pk}/change/", {**opened, "headline": "Ada late"})
    assert response.status_code == 200
    assert "Someone else saved this entry (bea, " in response.text
    mine, theirs = history.versions_of(entry)[1], history.versions_of(entry)[0]
    link = f"{ENTRIES}{entry.pk}/history/compare/?from={mine.pk}&amp;to={theirs.pk}"
    assert link in response.text
    compared = client.get(link.replace("&amp;", "&"))
    assert "<del>Opened</del><ins>Bea</ins>" in compared.text


def test_prune_history_keeps_the_newest_and_the_recent(ada_client):
    entry = new_entry()
    for n in range(6):
        edit(ada_client, entry, headline=f"Headline {n}")
    old = timezone.now() - timedelta(days=100)
    Revision.objects.filter(pk__in=[v.revision_id for v in history.versions_of(entry)]).update(
        date_created=old
    )
    # The newest version is recent; the five older ones are 100 days old.
    Revision.objects.filter(pk=history.versions_of(entry).first().revision_id).update(
        date_created=timezone.now()
    )
    other = new_entry()
    edit(ada_client, other, headline="Only one")

    call_command("prune_history", "--keep", "2", "--older-than", "30")
    kept = [v.field_dict["headline"] for v in history.versions_of(entry)]
    assert kept == ["Headline 5", "Headline 4"]
    assert history.versions_of(other).count() == 1
    assert not Revision.objects.filter(version__isnull=True).exists()

    call_command("prune_history", "--keep", "1", "--older-than", "365")
    assert history.versions_of(entry).count() == 2  # nothing that old

    with pytest.raises(CommandError):
        call_command("prune_history", "--keep", "0", "--older-than", "1")
    assert Version.objects.filter(object_id__in=[entry.pk, other.pk]).count() == 3


def test_the_history_page_reads_a_fixed_number_of_queries_however_long_the_history(
    ada_client,
):
    """The scale figures (docs/performance.md, bench/versions.py) rest on this: the page reads
    one page of one entry's versions through the index, whatever the table holds."""
    entry = new_entry()
    other = new_entry()

    def history_queries():
        with CaptureQueriesContext(connection) as queries:
            assert ada_client.get(f"{ENTRIES}{entry.pk}/history/").status_code == 200
        return len(queries)

    for n in range(2):
        edit(ada_client, entry, headline=f"Short {n}")
    short = history_queries()
    for n in range(12):
        edit(ada_client, entry, headline=f"Long {n}")
        edit(ada_client, other, headline=f"Other {n}")
    assert history_queries() == short


def test_an_entry_deleted_outside_the_admin_is_recoverable_even_without_earlier_versions(
    ada_client,
):
    trade = make_topic("Trade")
    (entry,) = Entry.objects.bulk_create(
        [Entry(headline="Bulk made", slug="bulk-made", summary="S.", pub_date=timezone.now())]
    )
    entry.topics.add(trade)
    assert not history.versions_of(Entry, entry.pk).exists()
    Entry.objects.filter(pk=entry.pk).delete()
    listing = visible_text(ada_client.get(f"{ENTRIES}recover/").text)
    assert "Bulk made" in listing and "by system" in listing
    deleted = history.deleted_entries().get(entry_id=entry.pk)
    ada_client.post(f"{ENTRIES}recover/{deleted.pk}/")
    assert list(Entry.objects.get(pk=entry.pk).topics.all()) == [trade]
    assert comments(entry)[:2] == ["Recovered after deletion", "Deleted by system"]

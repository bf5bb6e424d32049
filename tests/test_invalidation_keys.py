"""Narrow invalidation: each kind of change purges the keys of the pages it changes, and no
others. The keys go through the real signals and the real purge hook to a recording server."""

from datetime import timedelta

import pytest
from django.utils import timezone

from entries.models import Entry

from .factories import make_editor, make_entry, make_image, make_topic
from .test_admin import ENTRIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def changed(purges, django_capture_on_commit_callbacks):
    """changed(action) -> {"hard": keys, "soft": keys} purged by `action`, once committed."""
    from newsroom import purge

    def run(action):
        purges.keys()
        with django_capture_on_commit_callbacks(execute=True):
            action()
        assert purge.wait(10)
        return purges.keys()

    return run


@pytest.fixture
def archive(changed):
    """Five published entries a day apart (newest first), all in one topic."""
    topic = make_topic()
    now = timezone.now()
    entries = [make_entry(pub_date=now - timedelta(days=days)) for days in range(1, 6)]
    for entry in entries:
        entry.topics.add(topic)
    return topic, entries


def save(entry, **fields):
    def action():
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.save()

    return action


def test_a_typo_fixed_in_a_body_touches_that_entry_only(changed, archive):
    _, entries = archive
    old = entries[3]
    keys = changed(save(old, body="Fixed typo."))
    # Its page, search results (the body is searched), the sitemap (its lastmod).
    assert keys == {"hard": set(), "soft": {f"entry-{old.pk}", "search", "sitemap"}}


def test_a_new_headline_touches_the_listings_and_the_pages_linking_to_it(changed, archive):
    topic, entries = archive
    keys = changed(save(entries[2], headline="A better headline"))["soft"]
    pk = entries[2].pk
    assert {f"entry-{pk}", f"link-{pk}", "listing", "feeds", f"topic-{topic.pk}"} <= keys
    assert not {f"entry-{other.pk}" for other in entries if other.pk != pk} & keys


def test_publishing_a_new_entry_touches_listings_feeds_sitemap_and_its_neighbour(changed, archive):
    topic, entries = archive

    def publish():
        entry = make_entry(pub_date=timezone.now())
        entry.topics.add(topic)

    keys = changed(publish)
    new = Entry.objects.latest()
    assert keys["hard"] == set()
    soft = keys["soft"]
    assert {"listing", "feeds", "sitemap", "topic-list", f"topic-{topic.pk}"} <= soft
    assert {f"entry-{new.pk}", f"entry-{entries[0].pk}"} <= soft  # its older neighbour
    # Related entries are older ones: no other entry page shows the new entry.
    assert not {f"entry-{other.pk}" for other in entries[1:]} & soft


def test_a_backdated_entry_refreshes_the_newer_entries_that_now_list_it_as_related(
    changed, archive
):
    topic, entries = archive

    def publish_between():
        entry = make_entry(pub_date=entries[3].pub_date + timedelta(hours=1))
        entry.topics.add(topic)

    soft = changed(publish_between)["soft"]
    # entries[0..2] are newer and share the topic: their related lists may now show it.
    assert {f"entry-{entry.pk}" for entry in entries[:4]} <= soft
    assert f"entry-{entries[4].pk}" not in soft


def test_takedowns_are_hard(changed, archive):
    topic, entries = archive
    pk = entries[1].pk
    keys = changed(save(entries[1], status=Entry.Status.DRAFT))
    assert {f"entry-{pk}", f"link-{pk}", "listing", "feeds", f"topic-{topic.pk}"} <= keys["hard"]

    photo = make_image()
    Entry.objects.filter(pk=entries[2].pk).update(image=photo)
    entries[2].refresh_from_db()
    keys = changed(save(entries[2], image=None))
    assert {f"entry-{entries[2].pk}", "listing"} <= keys["hard"]

    deleted = entries[3].pk
    keys = changed(entries[3].delete)
    assert {f"entry-{deleted}", f"link-{deleted}", "listing"} <= keys["hard"]


def test_drafts_purge_nothing(changed):
    draft = make_entry(status=Entry.Status.DRAFT)
    assert changed(save(draft, body="Still a draft.")) == {"hard": set(), "soft": set()}


def test_a_scheduled_entry_refreshes_listings_now_so_they_expire_on_time(changed):
    keys = changed(lambda: make_entry(pub_date=timezone.now() + timedelta(hours=1)))
    assert {"listing", "feeds", "sitemap"} <= keys["soft"]


def test_topic_changes_on_an_entry(changed, archive):
    topic, entries = archive
    other = make_topic()
    pk = entries[2].pk
    soft = changed(lambda: entries[2].topics.add(other))["soft"]
    assert {f"entry-{pk}", f"topic-{other.pk}", "topic-list", "listing"} <= soft
    assert f"topic-{topic.pk}" not in soft

    soft = changed(lambda: other.entries.remove(entries[2]))["soft"]
    assert {f"entry-{pk}", f"link-{pk}", f"topic-{other.pk}"} <= soft

    soft = changed(entries[1].topics.clear)["soft"]
    assert {f"entry-{entries[1].pk}", f"topic-{topic.pk}"} <= soft


def test_bulk_publish_and_unpublish_in_the_admin(client, changed):
    client.force_login(make_editor())
    drafts = [make_entry(status=Entry.Status.DRAFT) for _ in range(2)]
    selected = [entry.pk for entry in drafts]
    keys = changed(
        lambda: client.post(ENTRIES, {"action": "publish", "_selected_action": selected})
    )
    assert {"listing", *(f"entry-{pk}" for pk in selected)} <= keys["soft"]

    keys = changed(
        lambda: client.post(ENTRIES, {"action": "unpublish", "_selected_action": selected})
    )
    assert {"listing", *(f"entry-{pk}" for pk in selected)} <= keys["hard"]


def test_image_and_topic_edits(changed):
    photo = make_image()
    # Captions are searched in every language (a translation shows the default one's).
    assert changed(save(photo, caption="New caption")) == {
        "hard": set(),
        "soft": {f"image-{photo.pk}", "search", "search-fr"},
    }
    topic = make_topic()
    assert changed(save(topic, description="What it covers.")) == {
        "hard": set(),
        "soft": {f"topic-{topic.pk}"},
    }
    keys = changed(save(topic, name="Renamed"))
    assert {f"topic-{topic.pk}", "topics", "topic-list"} <= keys["soft"]
    # Moved to another language, same name and slug: it leaves one language's filter forms
    # and topic list for the other's, and its page moves (/topics/... to /fr/topics/...).
    keys = changed(save(topic, language="fr"))
    assert {"topics", "topic-list", "topic-list-fr"} <= keys["soft"] | keys["hard"]
    assert f"topic-{topic.pk}" in keys["hard"]


def test_a_large_bulk_change_drops_everything(changed):
    for _ in range(60):
        make_entry()
    keys = changed(lambda: Entry.objects.update(status=Entry.Status.DRAFT))
    assert keys == {"hard": {"site"}, "soft": set()}


def test_publishing_in_one_language_leaves_the_other_languages_listings(changed, archive):
    from .factories import make_translation

    _, entries = archive
    english = make_entry(status=Entry.Status.DRAFT)
    french = make_translation(entries[0], status=Entry.Status.DRAFT)
    soft = changed(save(english, status=Entry.Status.PUBLISHED))["soft"]
    assert {"listing", "feeds", "search", "topic-list"} <= soft
    assert not {"listing-fr", "feeds-fr", "search-fr", "topic-list-fr"} & soft
    soft = changed(save(french, status=Entry.Status.PUBLISHED))["soft"]
    assert {"listing-fr", "feeds-fr", "search-fr", "topic-list-fr"} <= soft
    assert not {"listing", "feeds", "search", "topic-list"} & soft
    # Its English version's page links to it now (the language switcher, hreflang).
    assert f"story-{entries[0].translation_key}" in soft

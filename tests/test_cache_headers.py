"""What public pages tell the caches in front: their keys and how long copies may be served."""

import pytest

from .factories import make_editor, make_entry, make_image, make_topic

pytestmark = pytest.mark.django_db


def keys(response):
    return set(response["xkey"].split())


def test_public_pages_send_s_maxage_and_the_stale_windows(client, settings):
    settings.PAGE_S_MAXAGE, settings.PAGE_STALE_WHILE_REVALIDATE = 60, 5
    settings.PAGE_STALE_IF_ERROR = 86400
    entry = make_entry()
    for path in ("/", entry.get_absolute_url(), "/topics/", "/feeds/entries.rss", "/sitemap.xml"):
        control = client.get(path)["Cache-Control"]
        assert "public" in control and "s-maxage=60" in control, path
        assert "stale-while-revalidate=5" in control and "stale-if-error=86400" in control, path


def test_the_listing_carries_its_keys_and_the_photos_it_shows(client):
    photo = make_image()
    make_entry(image=photo)
    response = client.get("/")
    assert {"listing", "topics", "site", f"image-{photo.pk}"} <= keys(response)
    # The same keys, comma-separated, for CDNs that read Cache-Tag.
    assert set(response["Cache-Tag"].split(",")) == keys(response)
    assert "search" in keys(client.get("/?q=harbour"))


def test_an_entry_page_carries_the_entries_it_links_to(client):
    topic = make_topic()
    older, entry, newer = make_entry(), make_entry(), make_entry()
    # make_entry dates each new entry a day before the last: order them as named.
    older, entry, newer = sorted((older, entry, newer), key=lambda e: e.pub_date)
    for each in (older, entry, newer):
        each.topics.add(topic)
    found = keys(client.get(entry.get_absolute_url()))
    assert {f"entry-{entry.pk}", f"link-{older.pk}", f"link-{newer.pk}", "topics"} <= found
    assert f"entry-{older.pk}" not in found


def test_topic_pages_and_feeds_carry_the_topic(client):
    topic = make_topic()
    entry = make_entry()
    entry.topics.add(topic)
    assert f"topic-{topic.pk}" in keys(client.get(topic.get_absolute_url()))
    feed = keys(client.get(f"{topic.get_absolute_url()}feed.rss"))
    assert {f"topic-{topic.pk}", f"entry-{entry.pk}"} <= feed
    assert {"feeds", f"entry-{entry.pk}"} <= keys(client.get("/feeds/entries.atom"))
    assert {"sitemap"} <= keys(client.get("/sitemap.xml"))


def test_signed_in_users_and_the_admin_get_no_keys(client):
    make_entry()
    client.force_login(make_editor())
    assert "xkey" not in client.get("/")
    assert "xkey" not in client.get("/admin/")
    assert "xkey" not in client.get("/admin/login/")


def test_a_page_replayed_by_the_page_cache_keeps_its_keys(
    client, page_cache, django_assert_num_queries
):
    entry = make_entry()
    first = client.get(entry.get_absolute_url())
    with django_assert_num_queries(0):  # replayed, not rendered
        second = client.get(entry.get_absolute_url())
    assert second["xkey"] == first["xkey"] and f"entry-{entry.pk}" in keys(second)
    assert second["Cache-Control"] == first["Cache-Control"]

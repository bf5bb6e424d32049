"""The page cache: public pages stored whole, never stale, bypassed by staff."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from entries.models import Entry, Topic

from .factories import make_entry, make_image, make_topic

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


def test_second_anonymous_request_is_served_without_queries(client, django_assert_num_queries):
    entry = make_entry(headline="Cached headline")
    for url in ["/", entry.get_absolute_url()]:
        first = client.get(url)
        with django_assert_num_queries(0):
            second = client.get(url)
        assert second.content == first.content
        assert "Cached headline" in second.text


def test_replayed_page_has_exactly_the_headers_of_the_full_answer(client):
    make_entry()
    first = client.get("/")
    second = client.get("/")
    assert dict(second.headers) == dict(first.headers)
    for header in [
        "Content-Security-Policy",
        "ETag",
        "Last-Modified",
        "Cache-Control",
        "X-Frame-Options",
        "Referrer-Policy",
        "X-Content-Type-Options",
        "Cross-Origin-Opener-Policy",
    ]:
        assert header in second.headers


def test_saving_an_entry_shows_it_at_the_next_request(client):
    make_entry(headline="Old news")
    assert "Fresh news" not in client.get("/").text
    make_entry(headline="Fresh news")
    assert "Fresh news" in client.get("/").text


def test_bulk_update_and_delete_invalidate(client):
    make_entry(headline="Stays")
    gone = make_entry(headline="Unpublished in bulk")
    deleted = make_entry(headline="Deleted one")
    assert "Unpublished in bulk" in client.get("/").text
    Entry.objects.filter(pk=gone.pk).update(status=Entry.Status.DRAFT)
    assert "Unpublished in bulk" not in client.get("/").text
    deleted.delete()
    assert "Deleted one" not in client.get("/").text
    assert "<h1>1 Entry</h1>" in client.get("/").text


def test_image_and_topic_changes_invalidate(client):
    image = make_image(caption="First caption")
    topic = make_topic("Enlargement")
    entry = make_entry(image=image)
    entry.topics.add(topic)
    assert "First caption" in client.get("/").text
    assert topic.name in client.get(entry.get_absolute_url()).text
    image.caption = "Second caption"
    image.save()
    assert "Second caption" in client.get("/").text
    Topic.objects.filter(pk=topic.pk).update(name="Renamed topic")
    assert "Renamed topic" in client.get(entry.get_absolute_url()).text
    entry.topics.clear()
    assert "Renamed topic" not in client.get(entry.get_absolute_url()).text


def test_loading_the_demo_content_invalidates(client):
    assert "<h1>0 Entries</h1>" in client.get("/").text
    call_command("load_demo", verbosity=0)
    assert "<h1>181 Entries</h1>" in client.get("/").text


def test_scheduled_entry_appears_when_its_time_comes(client):
    make_entry(headline="Already out")
    make_entry(headline="Scheduled", pub_date=timezone.now() + timedelta(seconds=1.5))
    response = client.get("/")
    assert "Scheduled" not in response.text
    # Nothing public may be kept past the scheduled time, here nor in a shared cache.
    assert "s-maxage=0" in response["Cache-Control"] or "s-maxage=1" in response["Cache-Control"]
    assert "Scheduled" not in client.get("/").text
    time.sleep(1.6)
    assert "Scheduled" in client.get("/").text


def test_staff_bypass_the_cache_and_get_private_pages(client):
    make_entry(headline="Public headline")
    client.get("/")
    staff = get_user_model().objects.create_user("editor", password="pw", is_staff=True)
    client.force_login(staff)
    response = client.get("/")
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    assert len(queries) >= 1  # rendered from the database, not replayed


def test_admin_and_health_and_errors_are_not_public(client):
    assert "public" not in client.get("/admin/login/").get("Cache-Control", "")
    assert "public" not in client.get("/healthz").get("Cache-Control", "")
    missing = client.get("/entries/nothing-here/")
    assert missing.status_code == 404
    assert "public" not in missing.get("Cache-Control", "")


def test_head_is_answered_from_the_cache(client, django_assert_num_queries):
    make_entry()
    get = client.get("/")
    with django_assert_num_queries(0):
        head = client.head("/")
    assert head.status_code == 200
    assert head.content == b""
    assert head["ETag"] == get["ETag"]


@override_settings(PAGE_CACHE=False)
def test_without_the_page_cache_pages_still_carry_validators(client):
    make_entry()
    response = client.get("/")
    assert response["ETag"]
    assert "public" in response["Cache-Control"]
    assert client.get("/", headers={"if-none-match": response["ETag"]}).status_code == 304


class TestConditionalGet:
    def test_unchanged_page_is_304(self, client):
        make_entry()
        response = client.get("/")
        etag, modified = response["ETag"], response["Last-Modified"]
        control = response["Cache-Control"]
        assert "public" in control and "max-age=" in control and "s-maxage=" in control
        not_modified = client.get("/", headers={"if-none-match": etag})
        assert not_modified.status_code == 304
        assert not_modified.content == b""
        assert not_modified["ETag"] == etag
        assert client.get("/", headers={"if-modified-since": modified}).status_code == 304

    def test_changed_page_is_200_with_a_new_etag(self, client):
        make_entry()
        etag = client.get("/")["ETag"]
        make_entry(headline="Something new")
        response = client.get("/", headers={"if-none-match": etag})
        assert response.status_code == 200
        assert response["ETag"] != etag
        assert "Something new" in response.text

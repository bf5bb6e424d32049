"""Shareable previews: a link to an embargoed draft for someone without an account."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from entries.models import Entry, PreviewLink
from entries.previews import hash_token

from .factories import make_editor, make_entry, make_image, make_topic
from .test_admin import ENTRIES
from .text import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


@pytest.fixture
def scheduled():
    entry = make_entry(
        headline="Embargoed <until> Monday",
        pub_date=timezone.now() + timedelta(days=3),
        image=make_image("embargo.jpg", caption="The embargoed photo"),
    )
    entry.topics.add(make_topic("Trade"))
    return entry


def make_link(editor_client, entry, **data):
    response = editor_client.post(
        f"{ENTRIES}{entry.pk}/previews/", {"hours": 48, "mode": "latest", **data}, follow=True
    )
    assert response.status_code == 200
    match = re.search(
        r'class="desk-preview-url">(http://testserver(/preview/[^<]+/))<', response.text
    )
    assert match, "the new link is shown once"
    return match.group(2)


def test_a_preview_link_shows_the_public_page_with_a_banner_to_anyone(editor_client, scheduled):
    url = make_link(editor_client, scheduled)
    response = Client().get(url)
    assert response.status_code == 200
    text = visible_text(response.text)
    assert "Preview, not yet public." in text and "This link expires" in text
    assert "<h1>Embargoed &lt;until&gt; Monday</h1>" in response.text
    assert "The embargoed photo" in text and "Trade" in text
    assert "/admin/" not in response.text  # no admin link for a reader without an account
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_token_is_random_long_and_stored_only_as_a_hash(editor_client, scheduled):
    url = make_link(editor_client, scheduled)
    token = url.split("/")[2]
    assert len(token) >= 43  # 32 random bytes, URL-safe base64
    link = PreviewLink.objects.get()
    assert link.token_hash == hash_token(token) and token not in link.token_hash
    assert not PreviewLink.objects.filter(token_hash=token).exists()
    # Shown once: the entry's pages never show it again.
    assert token not in editor_client.get(f"{ENTRIES}{scheduled.pk}/previews/").text
    assert token not in editor_client.get(f"{ENTRIES}{scheduled.pk}/change/").text


def test_a_preview_page_never_enters_the_page_cache(editor_client, scheduled, page_cache):
    url = make_link(editor_client, scheduled)
    reader = Client()
    assert reader.get(url).status_code == 200
    PreviewLink.objects.update(revoked_at=timezone.now())
    assert reader.get(url).status_code == 404


def test_unknown_tampered_revoked_and_expired_tokens_are_the_same_404(editor_client, scheduled):
    url = make_link(editor_client, scheduled)
    reader = Client()
    tampered = url[:-3] + ("A" if url[-3] != "A" else "B") + url[-2:]
    pages = {"unknown": reader.get("/preview/not-a-token/"), "tampered": reader.get(tampered)}
    link = PreviewLink.objects.get()
    link.expires = timezone.now() - timedelta(seconds=1)
    link.save()
    pages["expired"] = reader.get(url)
    link.expires = timezone.now() + timedelta(hours=1)
    link.revoke()
    pages["revoked"] = reader.get(url)
    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(pages, 404)
    # The same page, but for the address itself (the page names it, e.g. in its canonical link).
    bodies = {page.content.decode().replace(page.wsgi_request.path, "") for page in pages.values()}
    assert len(bodies) == 1


def test_guessing_is_throttled(editor_client, scheduled, settings):
    settings.PREVIEW_GUESS_LIMIT = 3
    url = make_link(editor_client, scheduled)
    guesser = Client()
    for n in range(3):
        assert guesser.get(f"/preview/guess-{n}/").status_code == 404
    assert guesser.get("/preview/guess-4/").status_code == 429
    assert guesser.get(url).status_code == 429  # even a right guess, once throttled
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert other.get(url).status_code == 200


def test_links_follow_the_latest_version_or_stay_pinned(editor_client, scheduled):
    latest = make_link(editor_client, scheduled, mode="latest")
    pinned = make_link(editor_client, scheduled, mode="pinned")
    Entry.objects.filter(pk=scheduled.pk).update(headline="A later headline")
    scheduled.topics.clear()
    reader = Client()
    assert "<h1>A later headline</h1>" in reader.get(latest).text
    page = reader.get(pinned).text
    assert "<h1>Embargoed &lt;until&gt; Monday</h1>" in page and "Trade" in page


def test_once_published_its_links_lead_to_the_public_page(editor_client, scheduled):
    url = make_link(editor_client, scheduled)
    Entry.objects.filter(pk=scheduled.pk).update(pub_date=timezone.now() - timedelta(minutes=1))
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"] == scheduled.get_absolute_url()


def test_the_entry_page_lists_live_links_and_revokes_them(editor_client, scheduled):
    url = make_link(editor_client, scheduled, hours=2)
    link = PreviewLink.objects.get()
    page = editor_client.get(f"{ENTRIES}{scheduled.pk}/change/").text
    assert "Follows the latest version" in page and "Revoke" in page
    response = editor_client.post(
        f"{ENTRIES}{scheduled.pk}/previews/{link.pk}/revoke/", {"back": "entry"}
    )
    assert response["Location"] == f"{ENTRIES}{scheduled.pk}/change/"
    assert Client().get(url).status_code == 404
    assert "No live preview links" in editor_client.get(f"{ENTRIES}{scheduled.pk}/change/").text


@pytest.mark.parametrize("hours", [0, 337, "soon"])
def test_a_link_lasts_one_hour_to_fourteen_days(editor_client, scheduled, hours):
    response = editor_client.post(
        f"{ENTRIES}{scheduled.pk}/previews/", {"hours": hours, "mode": "latest"}
    )
    assert response.status_code == 200
    assert not PreviewLink.objects.exists()


def test_the_default_is_48_hours(editor_client, scheduled):
    page = editor_client.get(f"{ENTRIES}{scheduled.pk}/previews/").text
    assert 'value="48"' in page
    make_link(editor_client, scheduled)
    link = PreviewLink.objects.get()
    assert abs(link.expires - link.created - timedelta(hours=48)) < timedelta(seconds=5)


def test_preview_link_pages_need_the_change_permission(client, scheduled):
    url = f"{ENTRIES}{scheduled.pk}/previews/"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(get_user_model().objects.create_user("reader"))
    assert client.get(url).status_code == 302  # not staff
    viewer = get_user_model().objects.create_user("viewer", is_staff=True)
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    assert client.post(url, {"hours": 2, "mode": "latest"}).status_code == 403
    assert not PreviewLink.objects.exists()
    client.force_login(make_editor())
    assert client.get(url).status_code == 200

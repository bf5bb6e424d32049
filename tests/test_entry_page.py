from datetime import timedelta

import pytest
from django.utils import timezone

from entries.models import Entry

from .factories import make_entry, make_image, make_topic
from .text import visible_text

pytestmark = pytest.mark.django_db


def test_entry_page_shows_the_whole_entry(client):
    topic = make_topic("Energy")
    image = make_image("240403-nac.jpg", caption="Ministers", credit="Staff photographer")
    entry = make_entry(
        headline="Ministers meet",
        summary="The summary.",
        body="First paragraph.\n\nSecond <paragraph>.",
        image=image,
    )
    entry.topics.add(topic)
    response = client.get(entry.get_absolute_url())
    assert response.status_code == 200
    html = response.text
    text = visible_text(html)
    assert "<h1>Ministers meet</h1>" in html
    assert image.public_line in text
    assert f'href="{image.file.url}" download' in html
    assert topic.name in text
    assert "<p>First paragraph.</p>" in html
    assert "<p>Second &lt;paragraph&gt;.</p>" in html
    assert entry.pub_date.astimezone(timezone.get_current_timezone()).strftime("%d %b. %Y") in text


def test_neighbours_skip_unpublished_entries(client):
    older = make_entry(headline="Older", pub_date=timezone.now() - timedelta(days=30))
    make_entry(
        headline="Draft", status=Entry.Status.DRAFT, pub_date=timezone.now() - timedelta(days=20)
    )
    middle = make_entry(headline="Middle", pub_date=timezone.now() - timedelta(days=10))
    newer = make_entry(headline="Newer", pub_date=timezone.now() - timedelta(days=1))
    make_entry(headline="Future", pub_date=timezone.now() + timedelta(days=1))
    response = client.get(middle.get_absolute_url())
    assert response.context["previous_entry"] == older
    assert response.context["next_entry"] == newer
    assert "Draft" not in response.text
    assert "Future" not in response.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"status": Entry.Status.DRAFT},
        {"pub_date": timezone.now() + timedelta(days=1)},
    ],
    ids=["draft", "future"],
)
def test_unpublished_entries_are_404_for_the_public(client, overrides):
    entry = make_entry(**overrides)
    response = client.get(entry.get_absolute_url())
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_unknown_slug_is_404(client):
    assert client.get("/entries/no-such-entry/").status_code == 404

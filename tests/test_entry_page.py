from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

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


def test_up_to_three_related_entries_share_a_topic_newest_first(client):
    energy, other = make_topic("Energy"), make_topic("Other")
    now = timezone.now()
    entry = make_entry(headline="The entry", pub_date=now - timedelta(minutes=1))
    entry.topics.add(energy, other)
    # Published after the entry: not related (publishing never changes older entries' pages).
    make_entry(headline="Newer", pub_date=now - timedelta(seconds=5)).topics.add(energy)
    for days, headline in [(5, "Five"), (1, "One"), (3, "Three"), (2, "Two"), (4, "Four")]:
        make_entry(headline=headline, pub_date=now - timedelta(days=days)).topics.add(energy)
    both = make_entry(headline="Both topics", pub_date=now - timedelta(days=30))
    both.topics.add(energy, other)
    make_entry(headline="Draft", status=Entry.Status.DRAFT, pub_date=now).topics.add(energy)
    make_entry(headline="Later", pub_date=now + timedelta(days=1)).topics.add(energy)
    make_entry(headline="No topic", pub_date=now)
    response = client.get(entry.get_absolute_url())
    related = [e.headline for e in response.context["related_entries"]]
    assert related == ["One", "Two", "Three"]
    section = response.text.split('<section class="related-entries"')[1].split("</section>")[0]
    assert "Related entries" in section and "Draft" not in section and "Later" not in section
    assert "Newer" not in section


def test_no_related_section_without_shared_topics(client):
    entry = make_entry()
    make_entry()
    assert "related-entries" not in client.get(entry.get_absolute_url()).text


def test_last_updated_shows_when_changed_after_publication(client):
    published = timezone.now() - timedelta(days=3)
    entry = make_entry(pub_date=published)
    updated = datetime(2016, 12, 15, 17, 28, 40, tzinfo=ZoneInfo("UTC"))  # 18:28 in Brussels
    Entry.objects.filter(pk=entry.pk).update(
        pub_date=datetime(2016, 12, 1, tzinfo=ZoneInfo("UTC")), updated=updated
    )
    text = visible_text(client.get(entry.get_absolute_url()).text)
    assert "Last updated: 15 Dec. 2016 18:28" in text


def test_no_last_updated_for_saves_within_a_minute_of_publication(client):
    entry = make_entry()
    Entry.objects.filter(pk=entry.pk).update(updated=entry.pub_date + timedelta(seconds=40))
    assert "Last updated" not in client.get(entry.get_absolute_url()).text
    Entry.objects.filter(pk=entry.pk).update(updated=entry.pub_date)
    assert "Last updated" not in client.get(entry.get_absolute_url()).text

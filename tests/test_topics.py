"""The topics index and each topic's own listing."""

import re
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from entries.models import Entry

from .factories import make_entry, make_topic
from .text import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def energy():
    topic = make_topic("Energy", description="Power & pipelines.")
    for n in range(3):
        make_entry(headline=f"Energy story {n}").topics.add(topic)
    make_entry(headline="Energy draft", status=Entry.Status.DRAFT).topics.add(topic)
    make_entry(headline="Energy tomorrow", pub_date=timezone.now() + timedelta(days=1)).topics.add(
        topic
    )
    return topic


def test_topics_index_counts_only_published_entries(client, energy):
    other = make_topic("Defence")
    make_entry().topics.add(other)
    make_topic("Empty")
    response = client.get("/topics/")
    assert response.status_code == 200
    text = visible_text(response.text)
    assert f"{energy.name} (3 entries)" in text
    assert f"{other.name} (1 entry)" in text
    assert "Empty" not in text
    assert f'href="{energy.get_absolute_url()}"' in response.text


def test_topic_page_lists_its_published_entries_like_the_listing(client, energy):
    make_entry(headline="Unrelated")
    response = client.get(energy.get_absolute_url())
    assert response.status_code == 200
    assert re.search(r"<h1>(.*?)</h1>", response.text).group(1) == "3 Entries"
    text = visible_text(response.text)
    assert "Energy story 0" in text and "Energy story 2" in text
    assert "Unrelated" not in text and "draft" not in text and "tomorrow" not in text
    assert "Power &amp; pipelines." in response.text
    assert f"{energy.name}: 3 Entries" in response.text  # the <title>


@override_settings(ENTRIES_PER_PAGE=2)
def test_topic_pages_paginate_and_keep_filters(client, energy):
    response = client.get(f"{energy.get_absolute_url()}?q=story&page=2")
    assert response.status_code == 200
    nav = re.search(r'<nav class="pagination".*?</nav>', response.text, re.S).group(0)
    assert 'href="?q=story&amp;page=1"' in nav
    assert len(response.context["entry_list"]) == 1


def test_topic_page_has_no_topic_field_and_filters_by_year(client, energy):
    response = client.get(f"{energy.get_absolute_url()}?year=1999")
    assert 'name="topic"' not in response.text
    assert "<h1>0 Entries</h1>" in response.text


def test_unknown_topic_is_a_404(client):
    assert client.get("/topics/no-such-topic/").status_code == 404


def test_entry_page_links_its_topics(client, energy):
    entry = energy.entries.published().first()
    assert f'href="{energy.get_absolute_url()}"' in client.get(entry.get_absolute_url()).text

"""Draft, scheduled, published: computed from status and publication date, never stored."""

from datetime import timedelta

import pytest
from django.utils import timezone

from entries.models import Entry

from .factories import make_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries():
    return {
        Entry.State.DRAFT: make_entry(status=Entry.Status.DRAFT),
        Entry.State.SCHEDULED: make_entry(pub_date=timezone.now() + timedelta(minutes=1)),
        Entry.State.PUBLISHED: make_entry(),
    }


def test_each_entry_knows_its_state(entries):
    for state, entry in entries.items():
        assert entry.publication_state == state


def test_a_draft_with_a_future_date_is_still_a_draft():
    entry = make_entry(status=Entry.Status.DRAFT, pub_date=timezone.now() + timedelta(days=1))
    assert entry.publication_state == Entry.State.DRAFT
    assert Entry.objects.with_state().get().state == "draft"


def test_the_database_computes_the_same_state(entries):
    states = dict(Entry.objects.with_state().values_list("pk", "state"))
    assert states == {entry.pk: state.value for state, entry in entries.items()}


def test_in_state_filters_by_state_and_published_is_the_public_rule(entries):
    for state, entry in entries.items():
        assert list(Entry.objects.in_state(state)) == [entry]
    assert list(Entry.objects.in_state("published")) == list(Entry.objects.published())


def test_a_scheduled_entry_becomes_published_when_its_time_comes(entries):
    scheduled = entries[Entry.State.SCHEDULED]
    Entry.objects.filter(pk=scheduled.pk).update(pub_date=timezone.now())
    scheduled.refresh_from_db()
    assert scheduled.publication_state == Entry.State.PUBLISHED
    assert scheduled in Entry.objects.published()

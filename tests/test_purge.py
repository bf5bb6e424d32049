"""The purge hook: the caches in front hear about a change once it commits, and a cache that
fails never costs the editor their save."""

import logging

import pytest
from django.db import transaction

from newsroom import purge

from .factories import make_editor, make_entry
from .purge_server import PurgeServer
from .servers import closed_port
from .test_admin import ENTRIES, entry_form_data

pytestmark = pytest.mark.django_db


def sent(server):
    assert purge.wait(10)
    return server.keys()


def test_keys_are_sent_to_every_instance_after_the_commit(
    settings, django_capture_on_commit_callbacks
):
    with PurgeServer() as one, PurgeServer() as two:
        settings.CACHE_PURGE_URLS = [one.url, two.url]
        with django_capture_on_commit_callbacks(execute=True):
            purge.purge_on_commit({"entry-1", "listing"})
            assert purge.wait(1) and not one.requests  # nothing before the commit
        assert purge.wait(10)
        for server in (one, two):
            assert server.requests[0][0] == "PURGE"
            assert sent(server) == {"hard": set(), "soft": {"entry-1", "listing"}}


def test_a_hard_purge_uses_xkey_purge_and_wins_over_a_soft_one(
    purges, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        purge.purge_on_commit({"entry-1", "listing"}, hard=True)
        purge.purge_on_commit({"listing", "feeds"})
    received = sent(purges)
    assert "entry-1" in received["hard"] and "listing" in received["hard"]
    assert received["soft"] <= {"feeds"}


def test_nothing_is_sent_when_the_transaction_rolls_back(purges):
    with pytest.raises(RuntimeError), transaction.atomic():
        purge.purge_on_commit({"entry-1"})
        raise RuntimeError("the save failed")
    assert sent(purges) == {"hard": set(), "soft": set()}


def test_cdn_styles(settings, django_capture_on_commit_callbacks):
    with PurgeServer() as server:
        settings.CACHE_PURGE_URLS = [server.url]
        settings.CACHE_PURGE_TOKEN = "secret-token"
        settings.CACHE_PURGE_STYLE = "surrogate-key"
        with django_capture_on_commit_callbacks(execute=True):
            purge.purge_on_commit({"entry-1", "listing"})
        purge.wait()
        method, _, headers, _ = server.requests[0]
        assert method == "POST" and headers["Authorization"] == "Bearer secret-token"
        assert sent(server) == {"hard": set(), "soft": {"entry-1", "listing"}}

        settings.CACHE_PURGE_STYLE = "cache-tag"
        with django_capture_on_commit_callbacks(execute=True):
            purge.purge_on_commit({"entry-1"})
        purge.wait()
        assert server.requests[0][2]["Content-Type"] == "application/json"
        assert sent(server) == {"hard": {"entry-1"}, "soft": set()}


def test_a_failed_purge_is_retried(settings, caplog, django_capture_on_commit_callbacks):
    with PurgeServer(statuses=(503, 503, 200)) as server:
        settings.CACHE_PURGE_URLS = [server.url]
        with caplog.at_level(logging.WARNING, logger="newsroom.purge"):
            with django_capture_on_commit_callbacks(execute=True):
                purge.purge_on_commit({"entry-1"})
            purge.wait(10)
        assert len(server.requests) == 3
        assert sum("attempt" in r.getMessage() for r in caplog.records) == 2
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_unreachable_cache_never_fails_the_editors_save(
    settings, client, caplog, django_capture_on_commit_callbacks
):
    settings.CACHE_PURGE_URLS = [f"http://127.0.0.1:{closed_port()}/"]
    settings.CACHE_PURGE_ATTEMPTS = 2
    client.force_login(make_editor())
    entry = make_entry(headline="Before")
    with caplog.at_level(logging.WARNING, logger="newsroom.purge"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"{ENTRIES}{entry.pk}/change/", entry_form_data(entry, headline="After")
            )
        assert response.status_code == 302
        entry.refresh_from_db()
        assert entry.headline == "After"
        assert purge.wait(10)
    assert any("gave up after 2 attempts" in r.getMessage() for r in caplog.records)

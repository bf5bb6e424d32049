"""Search in each language: the page's language's stemming, optional accents, no entries of
another language, and "Did you mean ...?" from the archive's own words when nothing matched."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from entries import search_configs, suggestions
from entries.models import Entry

from .factories import make_entry

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL"
)


def found(client, path, query):
    response = client.get(path, {"q": query})
    assert response.status_code == 200
    return [entry.headline for entry in response.context["entry_list"]]


def suggestion(client, path, query):
    response = client.get(path, {"q": query})
    assert response.status_code == 200
    return response.context.get("suggestion")


@postgres_only
def test_french_queries_stem_as_french(client):
    make_entry(language="fr", headline="Sommet", body="La négociation reprend demain.")
    make_entry(language="fr", headline="Autre", body="Rien à signaler.")
    assert found(client, "/fr/", "négociations") == ["Sommet"]


@pytest.mark.parametrize(
    ("path", "language", "text", "query"),
    [
        ("/fr/", "fr", "La sécurité des frontières.", "securite"),
        ("/fr/", "fr", "La securite des frontieres.", "sécurité"),
        ("/", "en", "A café in Zürich.", "zurich"),
    ],
)
@postgres_only
def test_accents_are_optional(client, path, language, text, query):
    make_entry(language=language, headline="Found", summary=text)
    assert found(client, path, query) == ["Found"]


@postgres_only
def test_unaccented_matches_are_highlighted(client):
    make_entry(language="fr", headline="Frontières", summary="La sécurité des frontières.")
    html = client.get("/fr/", {"q": "securite"}).text
    assert "La <mark>sécurité</mark> des frontières." in html


def test_each_language_finds_only_its_own_entries(client):
    make_entry(language="en", headline="Budget summit in Brussels")
    make_entry(language="fr", headline="Sommet budget à Bruxelles")
    assert found(client, "/", "budget") == ["Budget summit in Brussels"]
    assert found(client, "/fr/", "budget") == ["Sommet budget à Bruxelles"]
    assert found(client, "/", "sommet") == []
    assert found(client, "/fr/", "summit") == []


@postgres_only
def test_each_row_is_indexed_with_its_own_language():
    english = make_entry(language="en", headline="The meetings", summary="", body="")
    french = make_entry(language="fr", headline="Les négociations", summary="", body="")
    english.refresh_from_db()
    french.refresh_from_db()
    assert english.search_vector == "'meet':2A"  # English stem, "the" a stop word
    assert french.search_vector == "'le':1A 'negoci':2A"  # French stem, unaccented
    # A change of language indexes the row again, with the new language's configuration.
    Entry.objects.filter(pk=english.pk).update(language="fr")
    english.refresh_from_db()
    assert english.search_vector == "'meeting':2A 'the':1A"


@postgres_only
def test_a_language_added_to_the_settings_gets_its_configuration_on_migrate(settings):
    settings.LANGUAGES = [*settings.LANGUAGES, ("de", "Deutsch")]
    entry = make_entry(language="de", headline="Größere Verhandlungen")
    entry.refresh_from_db()
    # Not yet configured: "simple", no stemming.
    assert "verhandlungen" in entry.search_vector
    # `migrate` makes newsroom_de (a copy of "simple": SEARCH_CONFIGS names none for "de") and
    # re-indexes German rows with it, accents dropped; running it again changes nothing.
    assert search_configs.sync() == ["de"]
    entry.refresh_from_db()
    assert "grossere" in entry.search_vector or "groere" in entry.search_vector
    settings.SEARCH_CONFIGS = {**settings.SEARCH_CONFIGS, "de": "german"}
    assert search_configs.sync() == ["de"]
    entry.refresh_from_db()
    assert "verhandl" in entry.search_vector  # German stemming now
    assert search_configs.sync() == []


# Suggestions.


def test_a_search_that_finds_nothing_suggests_a_spelling_from_the_archive(client):
    make_entry(headline="European defence spending", summary="Defence ministers meet.")
    assert found(client, "/", "defense") == []
    assert suggestion(client, "/", "defense") == "defence"
    html = client.get("/", {"q": "defense"}).text
    assert 'Did you mean <a href="?q=defence">defence</a>?' in html


def test_french_pages_suggest_french_words(client):
    make_entry(language="fr", headline="Le gouvernement répond", summary="Le gouvernement parle.")
    make_entry(language="en", headline="The government answers", summary="Government speaks.")
    assert suggestion(client, "/fr/", "gouvernment") == "gouvernement"
    assert suggestion(client, "/", "gouvernment") == "government"
    html = client.get("/fr/", {"q": "gouvernment"}).text
    assert 'Vouliez-vous dire <a href="?q=gouvernement">gouvernement</a>\xa0?' in html


def test_no_suggestion_when_the_search_finds_something(client):
    make_entry(headline="Defence and defense", summary="Both spellings.")
    make_entry(headline="Defence only")
    assert found(client, "/", "defense") == ["Defence and defense"]
    assert suggestion(client, "/", "defense") is None


def test_no_suggestion_from_drafts_or_for_words_too_far(client):
    make_entry(headline="Secret codename", status=Entry.Status.DRAFT)
    make_entry(headline="Harbour news")
    assert suggestion(client, "/", "codenam") is None  # only a draft has the word
    assert suggestion(client, "/", "xylophone") is None


def test_multi_word_queries_keep_known_words(client):
    make_entry(headline="European defence budget")
    make_entry(headline="Budget summit")
    assert suggestion(client, "/", "defense budget") == "defence budget"


def test_the_suggestion_link_is_encoded(client):
    make_entry(headline="Defence ministers")
    html = client.get("/", {"q": 'defense"><script>'}).text
    assert "<script>" not in html.split("<main", 1)[-1].split("</main>", 1)[0]


@pytest.mark.parametrize(
    ("english", "french"),
    [("defence", "gouvernement"), ("defense", "gouvernment"), ("nothing", "rien")],
    ids=["found", "suggested", "nothing-close"],
)
def test_the_search_page_costs_the_same_queries_in_both_languages(client, english, french):
    make_entry(language="en", headline="Defence government")
    make_entry(language="fr", headline="Défense gouvernement")
    counts = {}
    for path, query in (("/", english), ("/fr/", french)):
        client.get(path, {"q": query})  # counts and forms cached, as on a warm site
        with CaptureQueriesContext(connection) as queries:
            client.get(path, {"q": query})
        counts[path] = len(queries)
    assert counts["/"] == counts["/fr/"]


def test_a_failed_search_costs_two_queries_more_at_most(client):
    make_entry(headline="Defence ministers")
    client.get("/", {"q": "ministers"})
    with CaptureQueriesContext(connection) as queries:
        client.get("/", {"q": "ministers"})
    found_cost = len(queries)
    client.get("/", {"q": "defense"})
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/", {"q": "defense"}).context["suggestion"] == "defence"
    assert len(queries) <= found_cost + 2


def test_suggest_bounds_the_words_it_considers():
    assert suggestions.suggest("a b c d e f g", Entry.objects.published()) is None

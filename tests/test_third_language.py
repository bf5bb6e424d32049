"""A third language is configuration: enabling German in LANGUAGES, with no code change and no
migration, gives `/de/` pages in German with Django's own German date formats, and puts German
in the language switcher."""

import os
import subprocess
import sys
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from .factories import make_entry, make_translation
from .test_languages import Tags, html_lang

pytestmark = pytest.mark.django_db

THREE = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def german():
    """LANGUAGES with German added, as the settings line (or LANGUAGES=en,fr,de) would do.
    Django empties its translation and language caches when LANGUAGES changes; the URL
    patterns read the active language at each request, so nothing else needs resetting."""
    with override_settings(LANGUAGES=THREE):
        yield


@pytest.fixture
def story(german):
    english = make_entry(
        headline="Ministers meet",
        slug="ministers-meet",
        pub_date=datetime(2024, 9, 17, 10, 0, tzinfo=BRUSSELS),
    )
    deutsch = make_translation(
        english, language="de", headline="Die Minister treffen sich", slug="minister-treffen"
    )
    return english, deutsch


def test_german_listing_answers_under_de(client, story):
    response = client.get("/de/")
    assert response.status_code == 200
    assert html_lang(response.text) == "de"
    assert response["Content-Language"] == "de"
    assert "Die Minister treffen sich" in response.text
    assert "Ministers meet" not in response.text
    # Django's German formats: no news style of our own for German yet.
    assert "17. September 2024" in response.text


def test_german_entry_page_and_the_switcher_lists_every_language(client, story):
    english, deutsch = story
    assert deutsch.get_absolute_url() == "/de/entries/minister-treffen/"
    page = client.get(deutsch.get_absolute_url())
    assert page.status_code == 200
    assert html_lang(page.text) == "de"
    tags = Tags(page.text)
    assert tags.switcher_current() == ["de"]
    assert tags.switcher_links() == {"en": english.get_absolute_url(), "fr": "/fr/"}
    assert ">Deutsch</span>" in page.text
    assert set(tags.hreflangs()) == {"en", "de", "x-default"}
    english_page = Tags(client.get(english.get_absolute_url()).text)
    assert english_page.switcher_links() == {"fr": "/fr/", "de": deutsch.get_absolute_url()}


def test_german_appears_in_the_sitemap_and_has_its_feed(client, story):
    sitemap = client.get("/sitemap.xml").text
    assert 'hreflang="de" href="http://testserver/de/entries/minister-treffen/"' in sitemap
    assert "<loc>http://testserver/de/</loc>" in sitemap
    feed = client.get("/de/feeds/entries.rss")
    assert feed.status_code == 200
    assert "<language>de</language>" in feed.text
    assert "Die Minister treffen sich" in feed.text


def test_without_german_configured_de_is_not_found(client):
    assert client.get("/de/").status_code == 404


def test_a_third_language_needs_no_migration(german):
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_languages_setting_comes_from_the_environment():
    """`LANGUAGES=en,fr,de` in the environment (or .env) is the whole configuration change:
    the names come from Django's list, and the models need no migration."""
    env = {**os.environ, "LANGUAGES": "en,fr,de", "DATABASE_URL": "sqlite://:memory:"}
    run = [sys.executable, "manage.py"]
    shown = subprocess.run(
        [
            *run,
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings as s\nprint(s.LANGUAGE_CODE, s.LANGUAGES)",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown.strip() == "en [('en', 'English'), ('fr', 'français'), ('de', 'Deutsch')]"
    subprocess.run(
        [*run, "makemigrations", "--check", "--dry-run"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        check=True,
    )

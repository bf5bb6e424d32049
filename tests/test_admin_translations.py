"""Language versions in the admin: the Languages column, the outdated marker, "Translate into
French", the language filters, topics and photo texts per language, the admin in French."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from entries.models import Entry, Image, Topic

from .factories import make_editor, make_entry, make_image, make_topic
from .test_admin import entry_form_data
from .text import normalise

pytestmark = pytest.mark.django_db

ENTRIES = "/admin/entries/entry/"
TOPICS = "/admin/entries/topic/"


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def make_translation(source, language="fr", **overrides):
    """A French version of `source`, up to date with it."""
    fields = {
        "headline": f"FR {source.headline}",
        "slug": source.slug,
        "summary": f"FR {source.summary}",
        "body": f"FR {source.body}",
        "status": Entry.Status.DRAFT,
        **overrides,
    }
    return Entry.objects.create(
        language=language,
        translation_key=source.translation_key,
        translation_source=source,
        source_digest=source.content_digest,
        **fields,
    )


def row_of(response, entry):
    """The changelist row of `entry`, as text."""
    html = response.text
    checkbox = f'name="_selected_action" value="{entry.pk}"'
    start = html.rindex("<tr", 0, html.index(checkbox))
    return normalise(re.sub(r"<[^>]+>", " ", html[start : html.index("</tr>", start)]))


def changelist_text(client, **params):
    return normalise(client.get(ENTRIES, params).text)


# The Languages column and the outdated marker.


def test_the_languages_column_shows_the_versions_a_story_has_and_the_missing_ones(
    editor_client,
):
    translated = make_entry(headline="Harbour reopens")
    french = make_translation(translated)
    alone = make_entry(headline="Quiet night")
    response = editor_client.get(ENTRIES)
    html = response.text
    assert "EN · FR" in row_of(response, translated)
    # The English row links to its French version.
    assert f'href="/admin/entries/entry/{french.pk}/change/"' in html
    assert "No French version" in row_of(response, alone)
    assert re.search(r'<s class="missing-language" title="No French version">FR</s>', html)


def test_a_translation_is_outdated_when_its_sources_text_changes_not_its_status(editor_client):
    source = make_entry(status=Entry.Status.DRAFT)
    french = make_translation(source)
    assert "outdated" not in row_of(editor_client.get(ENTRIES), french)

    source.status = Entry.Status.PUBLISHED
    source.save()
    french.refresh_from_db()
    assert not french.is_outdated
    assert "outdated" not in row_of(editor_client.get(ENTRIES), french)

    for field in ["headline", "summary", "body"]:
        source.refresh_from_db()
        setattr(source, field, getattr(source, field) + " Changed.")
        source.save()
        french.refresh_from_db()
        assert french.is_outdated, field
        assert "outdated" in row_of(editor_client.get(ENTRIES), french)
        # Brought up to date again for the next field.
        french.source_digest = source.content_digest
        french.save()


def test_the_change_form_of_an_outdated_translation_links_its_source_and_what_changed(
    editor_client,
):
    source = make_entry(headline="Harbour reopens")
    french = make_translation(source)
    page = normalise(editor_client.get(f"{ENTRIES}{french.pk}/change/").text)
    assert "Translated from" in page and "Harbour reopens" in page
    assert "Up to date with it." in page
    assert "Up to date with the English version" not in page

    # Saved in the admin as it was translated, then changed: both versions are in its history.
    editor_client.post(f"{ENTRIES}{source.pk}/change/", entry_form_data(source, summary="Open."))
    source.refresh_from_db()
    french.source_digest = source.content_digest
    french.save()
    editor_client.post(
        f"{ENTRIES}{source.pk}/change/",
        entry_form_data(source, headline="Harbour reopens at dawn"),
    )
    html = editor_client.get(f"{ENTRIES}{french.pk}/change/").text
    assert "Outdated:" in html
    assert "Up to date with the English version" in html
    link = re.search(r'href="([^"]*/history/compare/\?from=\d+&amp;to=\d+)"', html)
    assert link, "a link comparing the source's version with its latest"
    compared = editor_client.get(link.group(1).replace("&amp;", "&"))
    assert compared.status_code == 200
    assert "dawn" in compared.text


def test_ticking_up_to_date_clears_the_marker(editor_client):
    source = make_entry()
    french = make_translation(source)
    source.headline = "A new headline"
    source.save()
    french.refresh_from_db()
    assert french.is_outdated

    # Saving without ticking keeps it outdated.
    data = entry_form_data(french)
    response = editor_client.post(f"{ENTRIES}{french.pk}/change/", data)
    assert response.status_code == 302
    french.refresh_from_db()
    assert french.is_outdated

    data = entry_form_data(french, up_to_date="on")
    response = editor_client.post(f"{ENTRIES}{french.pk}/change/", data)
    assert response.status_code == 302
    french.refresh_from_db()
    assert not french.is_outdated
    assert "outdated" not in row_of(editor_client.get(ENTRIES), french)


# Translate into French.


def test_translate_into_french_opens_a_form_prefilled_from_the_source(editor_client):
    topic = make_topic(name="Defence")
    french_topic = Topic.objects.create(
        name="Défense", slug="defense", language="fr", translation_key=topic.translation_key
    )
    english_only_topic = make_topic(name="Weather")
    image = make_image()
    source = make_entry(headline="Harbour reopens", summary="Ships came in.", image=image)
    source.topics.add(topic, english_only_topic)

    change = editor_client.get(f"{ENTRIES}{source.pk}/change/").text
    link = re.search(r'href="([^"]*\?translation_of=\d+&amp;language=fr)"', change)
    assert link and "Translate into French" in change
    url = link.group(1).replace("&amp;", "&")

    response = editor_client.get(url)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["headline"] == "Harbour reopens"
    assert form.initial["summary"] == "Ships came in."
    assert form.initial["image"] == image.pk
    assert form.initial["topics"] == [french_topic.pk]
    assert form.initial["language"] == "fr"
    assert form.initial["translation_of"] == source.pk
    assert form.initial["status"] == Entry.Status.DRAFT


def test_saving_the_prefilled_form_creates_the_linked_french_draft(editor_client):
    source = make_entry(headline="Harbour reopens", slug="harbour-reopens")
    data = entry_form_data(
        None,
        headline="Le port rouvre",
        slug="harbour-reopens",  # the same slug: unique per language only
        summary="Les navires sont arrivés.",
        body="Les navires.",
        language="fr",
        translation_of=source.pk,
        # A posted key is not a form field: it is ignored.
        translation_key="00000000-0000-0000-0000-000000000000",
    )
    response = editor_client.post(f"{ENTRIES}add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    french = Entry.objects.get(language="fr")
    assert french.translation_key == source.translation_key
    assert french.translation_source == source
    assert french.status == Entry.Status.DRAFT
    assert not french.is_outdated
    assert list(source.translations()) == [french]


def test_a_second_french_version_is_refused_with_a_link_to_the_first(editor_client):
    source = make_entry()
    french = make_translation(source)
    response = editor_client.get(f"{ENTRIES}add/?translation_of={source.pk}&language=fr")
    assert response.status_code == 302
    assert response.url == f"{ENTRIES}{french.pk}/change/"
    followed = normalise(editor_client.get(response.url).text)
    assert "There is a French version already" in followed

    # Posting anyway (a form opened before the first was saved) is refused too.
    data = entry_form_data(None, language="fr", translation_of=source.pk, slug="other-slug")
    response = editor_client.post(f"{ENTRIES}add/", data)
    assert response.status_code == 200
    assert "This story has a French version already." in normalise(response.text)
    assert Entry.objects.filter(language="fr").count() == 1


def test_a_slug_taken_in_the_same_language_is_a_form_error_not_a_crash(editor_client):
    make_entry(slug="taken", language="fr")
    make_entry(slug="also-taken")
    response = editor_client.post(
        f"{ENTRIES}add/", entry_form_data(None, slug="taken", language="fr")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Another French version already uses this slug." in errors["slug"]
    # The same slug in another language is fine.
    response = editor_client.post(f"{ENTRIES}add/", entry_form_data(None, slug="taken"))
    assert response.status_code == 302


def test_the_source_id_is_checked_on_save(editor_client):
    response = editor_client.post(
        f"{ENTRIES}add/", entry_form_data(None, language="fr", translation_of=999999)
    )
    assert response.status_code == 200
    assert not Entry.objects.filter(language="fr").exists()
    source = make_entry()
    response = editor_client.post(
        f"{ENTRIES}add/", entry_form_data(None, language="en", translation_of=source.pk)
    )
    assert response.status_code == 200
    assert Entry.objects.count() == 1


# Filters.


def test_the_changelist_filters_by_language_missing_translation_and_outdated(editor_client):
    translated = make_entry(headline="Translated story")
    french = make_translation(translated, headline="Histoire traduite")
    alone = make_entry(headline="Lonely story")
    stale_source = make_entry(headline="Changing story")
    stale = make_translation(stale_source, headline="Histoire périmée")
    stale_source.summary = "New facts."
    stale_source.save()

    def shown(**params):
        return set(editor_client.get(ENTRIES, params).context["cl"].result_list)

    assert shown(language="fr") == {french, stale}
    assert shown(language="en") == {translated, alone, stale_source}
    assert shown(missing="fr") == {alone}
    assert shown(outdated="yes") == {stale}
    assert shown(outdated="no") == {french}
    text = changelist_text(editor_client)
    for title in ["By language", "Missing in French", "Outdated: the source changed"]:
        assert title in text


# Topics and images.


def test_topics_have_a_languages_column_filter_and_translate_link(editor_client):
    topic = make_topic(name="Defence")
    response = editor_client.get(TOPICS)
    assert "No French version" in response.text
    assert "By language" in normalise(response.text)
    change = editor_client.get(f"{TOPICS}{topic.pk}/change/").text
    assert "Translate into French" in change
    form = editor_client.get(f"{TOPICS}add/?translation_of={topic.pk}&language=fr")
    assert form.context["adminform"].form.initial["name"] == topic.name
    response = editor_client.post(
        f"{TOPICS}add/",
        {"name": "Défense", "slug": "defense", "language": "fr", "translation_of": topic.pk},
    )
    assert response.status_code == 302
    french = Topic.objects.get(language="fr")
    assert french.translation_key == topic.translation_key
    assert "EN · FR" in normalise(re.sub(r"<[^>]+>", " ", editor_client.get(TOPICS).text))
    # The same name twice in one language is a form error.
    response = editor_client.post(
        f"{TOPICS}add/", {"name": "Défense", "slug": "defense-2", "language": "fr"}
    )
    assert response.status_code == 200
    assert "Another French version already uses this name." in normalise(response.text)


def test_images_have_a_caption_and_alt_text_per_other_language(editor_client):
    image = make_image(caption="Ships", alt_text="Ships in the harbour")
    url = f"/admin/entries/image/{image.pk}/change/"
    page = editor_client.get(url)
    assert "caption_fr" in page.text and "alt_text_fr" in page.text
    data = {
        "caption": "Ships",
        "alt_text": "Ships in the harbour",
        "credit": "",
        "caption_fr": "Des navires",
        "alt_text_fr": "Des navires dans le port",
    }
    response = editor_client.post(url, {**data, "file": ""})
    assert response.status_code == 302, response.context["adminform"].form.errors
    image.refresh_from_db()
    assert image.translations == {
        "fr": {"caption": "Des navires", "alt_text": "Des navires dans le port"}
    }
    assert image.text_in("alt_text", "fr") == "Des navires dans le port"
    # A French caption needs a French description, unless the photo is decorative.
    response = editor_client.post(url, {**data, "alt_text_fr": "  "})
    assert response.status_code == 200
    assert "alt_text_fr" in response.context["adminform"].form.errors
    response = editor_client.post(
        url, {**data, "alt_text": "", "alt_text_fr": "", "decorative": "on"}
    )
    assert response.status_code == 302
    assert Image.objects.get(pk=image.pk).translations == {"fr": {"caption": "Des navires"}}


# The admin in the editor's language.


def test_the_admin_is_in_french_for_a_french_browser_and_english_by_default(editor_client):
    source = make_entry()
    make_translation(source)
    english = changelist_text(editor_client)
    assert "Languages" in english and "Missing in French" in english
    french = normalise(editor_client.get(ENTRIES, HTTP_ACCEPT_LANGUAGE="fr").text)
    assert "Langues" in french
    assert "Manquant en français" in french
    assert "Titre" in french  # the headline column
    change = normalise(
        editor_client.get(f"{ENTRIES}{source.pk}/change/", HTTP_ACCEPT_LANGUAGE="fr").text
    )
    assert "Version en français" in change or "Traduire en français" in change
    assert "Résumé" in change


# Queries.


def test_changelist_queries_do_not_grow_with_the_rows_shown(editor_client):
    start = timezone.now().replace(month=6, day=15)

    def add_entries(count):
        for n in range(count):
            topic = make_topic()
            entry = make_entry(image=make_image(), pub_date=start - timedelta(hours=n))
            entry.topics.add(topic)
            make_translation(entry, slug=f"{entry.slug}-fr").topics.add(topic)

    def queries_for_page():
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(ENTRIES).status_code == 200
        return len(queries)

    add_entries(5)
    few = queries_for_page()
    add_entries(15)
    assert queries_for_page() == few

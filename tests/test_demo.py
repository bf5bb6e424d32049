"""The demo content reproduces the reference page; these are the only tests that use it."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils.html import escape
from PIL import Image as PILImage
from reversion.models import Revision

from entries.models import Entry, Image, Topic

from .text import normalise, visible_text

REFERENCE = Path(__file__).parent / "data" / "entries-page-1.txt"


@pytest.fixture(scope="module")
def demo_media(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, demo_media):
    """The demo loaded once for this module, removed afterwards so other tests start empty."""
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=demo_media):
        call_command("load_demo", verbosity=0)
        yield
        Entry.objects.all().delete()
        Image.objects.all().delete()
        Topic.objects.all().delete()
        Revision.objects.all().delete()  # the import's versions


@pytest.fixture
def demo_site(demo, demo_media, settings, db):
    settings.MEDIA_ROOT = demo_media
    settings.ENTRIES_PER_PAGE = 10
    return demo_media


def test_page_one_contains_the_reference_text(client, demo_site):
    reference = normalise(REFERENCE.read_text(encoding="utf-8"))
    page = visible_text(client.get("/").text)
    assert reference in page


def test_demo_has_181_published_entries_in_one_topic(demo_site):
    assert Entry.objects.published().in_language("en").count() == 181
    topic = Topic.objects.in_language("en").get()
    assert topic.name == "Relations with the European Union"
    assert topic.entries.count() == 181


def test_demo_has_french_versions_of_24_entries_and_the_topic(demo_site):
    french = Entry.objects.in_language("fr")
    assert french.count() == 24
    topic = Topic.objects.in_language("fr").get()
    assert topic.name == "Relations avec l\u2019Union européenne"
    assert topic.translation_key == Topic.objects.in_language("en").get().translation_key
    assert topic.entries.count() == 24
    # Every French version is linked to its English source, and up to date with it.
    for version in french.select_related("translation_source"):
        assert version.translation_source.language == "en"
        assert version.translation_key == version.translation_source.translation_key
        assert not version.is_outdated
    # One reference entry stays English-only, to show a missing translation.
    untranslated = Entry.objects.get(
        slug="nato-deputy-secretary-general-meets-eu-diplomats-stresses-the-power-of-unity-in-"
        "tackling-global-challenges"
    )
    assert not untranslated.translations().exists()


def test_demo_photos_are_real_jpegs_of_the_recorded_size(demo_site):
    for image in Image.objects.all():
        path = demo_site / image.file.name
        assert path.stat().st_size == image.file_size
        with PILImage.open(path) as picture:
            assert picture.format == "JPEG"
            assert picture.size == (image.width, image.height)
            picture.load()  # decodes the whole file: padding must not corrupt it


def test_reference_sizes_come_from_the_files(demo_site):
    nato = Image.objects.get(file__endswith="/240718a-001.jpg")
    assert (demo_site / nato.file.name).stat().st_size / 1024 == pytest.approx(108.13, abs=0.005)
    assert nato.public_line.endswith(", 108.13KB")


def test_synthetic_entries_predate_the_reference_entries(demo_site):
    oldest_reference = Entry.objects.get(slug__startswith="nato-deputy-secretary-general-meets")
    synthetic = Entry.objects.filter(headline__startswith="Demo entry")
    assert synthetic.count() == 171
    assert not synthetic.filter(pub_date__gte=oldest_reference.pub_date).exists()


def test_last_page_has_one_entry_and_page_20_is_404(client, demo_site):
    last = client.get("/?page=19")
    assert last.status_code == 200
    assert len(last.context["entry_list"]) == 1
    assert client.get("/?page=20").status_code == 404


def test_loading_twice_changes_nothing(demo_site):
    files_before = sorted(p.name for p in (demo_site / "images" / "demo").iterdir())
    call_command("load_demo", verbosity=0)
    assert Entry.objects.count() == 181 + 24  # the English entries and the French versions
    assert Image.objects.count() == 181
    assert Topic.objects.count() == 2  # the topic in English and in French
    files_after = sorted(p.name for p in (demo_site / "images" / "demo").iterdir())
    assert files_after == files_before
    assert len(files_after) == 181


def test_if_empty_skips_a_database_that_has_entries(demo_site, capsys):
    call_command("load_demo", if_empty=True)
    assert "not loaded" in capsys.readouterr().out


def test_synthetic_demo_entries_show_what_the_body_editor_can_do(client, demo_site):
    from entries.models import BodyImage

    rich = Entry.objects.filter(slug__startswith="demo-entry-", body__contains="<h2>")
    assert rich.count() >= 10
    for entry in rich:
        for part in ["<h2>", "<h3>", "<ul>", "<ol>", "<blockquote>", "<cite>", "<hr>"]:
            assert part in entry.body, (entry.slug, part)
        assert 'href="/entries/id/' in entry.body
        assert 'href="https://' in entry.body
        assert BodyImage.objects.filter(entry=entry).exists()
    html = client.get(rich.first().get_absolute_url()).text
    assert '<figure class="entry-image body-image">' in html


def test_reference_entries_keep_their_real_text_only(demo_site):
    for entry in Entry.objects.in_language("en").exclude(slug__startswith="demo-entry-"):
        assert entry.body == f"<p>{escape(entry.summary)}</p>", entry.slug

"""Entry bodies are HTML: one allowlist, whichever way the body is written, and where it goes
(entry page, feeds, search, JSON-LD); inline photos count as used."""

import json
import re

import feedparser
import pytest
from django.core import serializers
from django.core.management import call_command
from django.db import connection
from django.db.models import ProtectedError, Value
from django.db.models.functions import Concat
from django.urls import reverse

from entries import richtext
from entries.models import BodyImage, Entry, Image
from entries.renditions import make_renditions

from .factories import make_entry, make_image
from .text import visible_text

pytestmark = pytest.mark.django_db

ARTICLE = (
    "<h2>Talks resume</h2>"
    '<p>Delegations met in <a href="https://example.org/talks">the hall</a> and '
    "<strong>agreed</strong> on <em>three</em> points.</p>"
    "<ul><li>Fisheries</li><li>Energy</li></ul><ol><li>First</li></ol>"
    "<figure><blockquote><p>We will meet again.</p></blockquote>"
    "<figcaption>A delegate</figcaption></figure>"
    "<hr><h3>Figures</h3>"
    '<table><thead><tr><th scope="col">Year</th></tr></thead><tbody><tr><td>2024</td></tr>'
    "</tbody></table>"
)

# What a word processor or a web page puts on the clipboard.
PASTED = (
    '<meta charset="utf-8"><style>p.MsoNormal{margin:0}</style>'
    '<h2 class="MsoHeading2" style="font-family:Calibri"><span style="color:#1F4E79">Budget'
    "</span></h2>"
    '<p class="MsoNormal"><font face="Arial" color="red">Plain <b>bold</b> '
    '<a href="https://example.org/" class="ext" style="color:blue" target="_blank">link</a>'
    "</font><o:p></o:p></p>"
    '<ul style="margin:0"><li class="x"><span lang="EN-GB">item</span></li></ul>'
    '<div id="x" data-foo="1"><p dir="rtl" align="center">kept text</p></div>'
)


def test_the_allowlist_keeps_every_element_of_an_article():
    assert richtext.clean(ARTICLE) == ARTICLE.replace(
        'href="https://example.org/talks"',
        'href="https://example.org/talks" rel="noopener noreferrer"',
    )


def test_pasted_markup_keeps_its_structure_and_loses_fonts_colours_classes_and_styles():
    assert richtext.clean(PASTED) == (
        "<h2>Budget</h2>"
        '<p>Plain <b>bold</b> <a href="https://example.org/" rel="noopener noreferrer">link</a>'
        "</p>"
        "<ul><li>item</li></ul>"
        "<p>kept text</p>"
    )


def test_cleaning_twice_changes_nothing():
    once = richtext.clean(PASTED + ARTICLE + "<p>“Quotes” 'and' \"more\" &amp; a\u00a0space</p>")
    assert richtext.clean(once) == once


def test_a_plain_text_body_becomes_paragraphs_like_linebreaks_did():
    from django.utils.html import linebreaks

    text = "He said \"yes\" & 'no'.\nNext line.\n\nSecond < paragraph >."
    assert richtext.clean(text) == linebreaks(text, autoescape=True)


def test_words_come_from_the_text_not_the_markup():
    assert richtext.text(ARTICLE).startswith("Talks resume Delegations met in the hall and agreed")
    assert "href" not in richtext.text(ARTICLE)
    assert richtext.word_count("<p>one <strong>two</strong></p><p>three</p>") == 3
    assert richtext.reading_minutes("<p>" + "word " * 401 + "</p>") == 3
    assert richtext.reading_minutes("") == 1


HOSTILE = '<p onclick="x()">ok</p><script>alert(1)</script><a href="javascript:alert(2)">a</a>'
SAFE = '<p>ok</p><a rel="noopener noreferrer">a</a>'


def test_saving_cleans_the_body():
    entry = make_entry(body=HOSTILE)
    entry.refresh_from_db()
    assert entry.body == SAFE


def test_bulk_writes_clean_the_body():
    entry = make_entry()
    Entry.objects.filter(pk=entry.pk).update(body=HOSTILE)
    assert Entry.objects.get(pk=entry.pk).body == SAFE
    Entry.objects.filter(pk=entry.pk).update(body=Value(HOSTILE))
    assert Entry.objects.get(pk=entry.pk).body == SAFE

    entry.body = HOSTILE
    Entry.objects.bulk_update([entry], ["body"])
    assert Entry.objects.get(pk=entry.pk).body == SAFE

    [created] = Entry.objects.bulk_create(
        [Entry(headline="Bulk", slug="bulk", summary="S.", body=HOSTILE)]
    )
    assert Entry.objects.get(pk=created.pk).body == SAFE


def test_an_update_with_an_expression_is_refused_and_changes_nothing():
    entry = make_entry(body="<p>kept</p>")
    with pytest.raises(TypeError):
        Entry.objects.filter(pk=entry.pk).update(body=Concat("body", Value("<script>x</script>")))
    assert Entry.objects.get(pk=entry.pk).body == "<p>kept</p>"


def test_loaddata_cleans_the_body(tmp_path):
    entry = make_entry()
    data = json.loads(serializers.serialize("json", [entry]))
    data[0]["fields"]["body"] = HOSTILE
    fixture = tmp_path / "hostile.json"
    fixture.write_text(json.dumps(data))
    call_command("loaddata", str(fixture), verbosity=0)
    assert Entry.objects.get(pk=entry.pk).body == SAFE


def test_a_body_written_by_raw_sql_is_still_cleaned_on_the_page(client):
    entry = make_entry()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE entries_entry SET body = %s WHERE id = %s", [HOSTILE, entry.pk])
    html = client.get(entry.get_absolute_url()).text
    assert "alert(" not in html
    assert "onclick" not in html
    assert "<p>ok</p>" in html


def test_the_entry_page_shows_every_element(client):
    entry = make_entry(summary="The lead.", body=ARTICLE)
    html = client.get(entry.get_absolute_url()).text
    for part in ["<h2>Talks resume</h2>", "<h3>Figures</h3>", "<li>Fisheries</li>", "<hr>"]:
        assert part in html
    assert "<blockquote><p>We will meet again.</p></blockquote>" in html
    assert '<th scope="col">Year</th>' in html
    assert 'href="https://example.org/talks" rel="noopener noreferrer"' in html
    assert '<p class="entry-summary"><strong>The lead.</strong></p>' in html
    assert "1 min read" in html


def test_a_body_starting_with_the_summary_does_not_show_it_twice(client):
    entry = make_entry(summary="Ministers met.", body="Ministers met.\n\nThen they left.")
    html = client.get(entry.get_absolute_url()).text
    article = re.search(r"<article.*?</article>", html, re.S).group()
    assert article.count("Ministers met.") == 1  # the lead only
    assert '<div class="entry-body"><p>Then they left.</p></div>' in html


def test_an_inline_photo_is_a_figure_like_the_entry_photo(client):
    image = make_image("inline.jpg", width=800, height=600, caption="Harbour", credit="Staff")
    make_renditions(image)
    image.refresh_from_db()
    entry = make_entry(body=f'<p>Before.</p><figure data-image="{image.pk}"></figure><p>After.</p>')
    html = client.get(entry.get_absolute_url()).text
    figure = re.search(r'<figure class="entry-image body-image">.*?</figure>', html, re.S).group()
    assert "<picture>" in figure
    assert 'type="image/webp"' in figure
    assert "320w" in figure and "640w" in figure
    assert f'alt="{image.alt_text}"' in figure
    assert image.public_line in visible_text(figure)
    assert "Photo: Staff" in figure


def test_an_inline_photo_counts_as_used(client, admin_client):
    image = make_image("used.jpg")
    entry = make_entry(body=f'<figure data-image="{image.pk}"></figure>')
    assert BodyImage.objects.filter(entry=entry, image=image).exists()
    with pytest.raises(ProtectedError):
        image.delete()
    page = admin_client.get(reverse("admin:entries_image_change", args=[image.pk])).text
    assert entry.headline in page
    listing = admin_client.get(reverse("admin:entries_image_changelist")).text
    assert re.search(r'<td class="field-used_by_count">1</td>', listing)

    entry.body = "<p>No photo any more.</p>"
    entry.save()
    assert not BodyImage.objects.filter(image=image).exists()
    image.delete()


def test_an_inline_photo_of_a_missing_image_is_left_out(client):
    entry = make_entry(body='<p>Text.</p><figure data-image="999999"></figure>')
    html = client.get(entry.get_absolute_url()).text
    assert "999999" not in html
    assert "<p>Text.</p>" in html


def test_feeds_carry_the_full_body_with_absolute_addresses(client):
    image = make_image("feed.jpg")
    target = make_entry(headline="Target")
    entry = make_entry(
        summary="Short.",
        body=(
            f'<p>See <a href="/entries/id/{target.pk}/">the other</a>.</p>'
            f'<figure data-image="{image.pk}"></figure>'
        ),
    )
    rss = feedparser.parse(client.get(reverse("entries:feed_rss")).content)
    item = next(i for i in rss.entries if i.link.endswith(entry.get_absolute_url()))
    assert item.summary == "Short."
    content = item.content[0].value
    assert f'href="http://testserver/entries/id/{target.pk}/"' in content
    assert f'src="http://testserver{image.file.url}"' in content
    assert image.public_line in content

    atom = client.get(reverse("entries:feed_atom")).content.decode()
    assert '<content type="html">' in atom
    parsed = feedparser.parse(atom)
    item = next(i for i in parsed.entries if i.link.endswith(entry.get_absolute_url()))
    assert "http://testserver/entries/id/" in item.content[0].value


def test_json_ld_has_the_article_body_as_text_and_its_word_count(client):
    entry = make_entry(summary="Lead.", body="<h2>Title</h2><p>One <strong>two</strong>.</p>")
    html = client.get(entry.get_absolute_url()).text
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html).group(1)
    )
    assert data["articleBody"] == "Title One two."
    assert data["wordCount"] == 3


def test_search_finds_the_text_of_a_body_and_not_its_markup(client):
    make_entry(
        headline="Marked up", body='<p><strong>Lighthouse</strong> <a href="/x">keeper</a></p>'
    )
    found = visible_text(client.get("/?q=lighthouse").text)
    assert "Marked up" in found
    for markup in ["strong", "href", "rel", "noopener"]:
        assert "Marked up" not in visible_text(client.get(f"/?q={markup}").text), markup


def test_the_editor_finds_images_with_thumbnails_and_entries_by_headline(admin_client, client):
    image = make_image("harbour-dawn.jpg", width=640, height=480, caption="Dawn")
    make_entry(headline="Fisheries deal signed")
    found = admin_client.get(reverse("admin:entries_entry_body_images"), {"q": "dawn"}).json()
    assert found["results"] == [
        {
            "id": image.pk,
            "text": image.public_line,
            "src": image.file.url,
            "width": 120,
            "height": 90,
        }
    ]
    entries = admin_client.get(reverse("admin:entries_entry_body_entries"), {"q": "fisheries"})
    [result] = entries.json()["results"]
    assert result["text"] == "Fisheries deal signed"
    assert result["href"] == f"/entries/id/{result['id']}/"
    # Visitors are sent to the login page.
    assert client.get(reverse("admin:entries_entry_body_entries")).status_code == 302


def test_the_entry_form_uses_the_body_editor_without_inline_script(admin_client):
    html = admin_client.get(reverse("admin:entries_entry_add")).text
    assert re.search(r'<script src="/static/entries/body-editor.js" type="module">', html)
    assert "data-body-editor" in html
    assert '<script type="importmap"' not in html


def test_a_dump_with_inline_photos_loads_back_and_keeps_them_used(tmp_path):
    image = make_image("kept.jpg")
    entry = make_entry(body=f'<figure data-image="{image.pk}"></figure>')
    dump = tmp_path / "dump.json"
    call_command("dumpdata", "entries", output=str(dump), verbosity=0)
    BodyImage.objects.all().delete()
    Entry.objects.all().delete()
    Image.objects.all().delete()
    call_command("loaddata", str(dump), verbosity=0)
    assert list(BodyImage.objects.values_list("entry_id", "image_id")) == [(entry.pk, image.pk)]
    with pytest.raises(ProtectedError):
        Image.objects.get(pk=image.pk).delete()


def test_pages_showing_an_inline_photo_carry_its_cache_key(client):
    image = make_image("keyed.jpg")
    entry = make_entry(body=f'<figure data-image="{image.pk}"></figure>')
    assert f"image-{image.pk}" in client.get(entry.get_absolute_url())["xkey"].split()
    assert f"image-{image.pk}" in client.get(reverse("entries:feed_rss"))["xkey"].split()


def test_bulk_writes_keep_inline_photo_uses(db):
    image = make_image("bulk.jpg")
    [entry] = Entry.objects.bulk_create(
        [
            Entry(
                headline="B",
                slug="b",
                summary="S.",
                body=f'<figure data-image="{image.pk}"></figure>',
            )
        ]
    )
    assert BodyImage.objects.filter(entry=entry, image=image).exists()
    Entry.objects.filter(pk=entry.pk).update(body="<p>none</p>")
    assert not BodyImage.objects.filter(image=image).exists()

"""An editor at work in a real browser: upload a photo, write, publish or schedule, preview."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from entries.models import Entry, Image

from ..factories import image_bytes, make_editor, make_entry, make_image

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "a-long-editor-password"  # make_editor's


def log_in(page, username="editor"):
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")


def write_entry(page, headline, summary, body):
    page.goto("/admin/entries/entry/add/")
    page.get_by_label("Headline").fill(headline)
    page.get_by_label("Summary").fill(summary)
    page.get_by_role("textbox", name="Body").fill(body)  # the rich-text editor
    # The slug is filled in from the headline while typing.
    assert page.get_by_label("Slug").input_value() == re.sub(r"[^a-z0-9]+", "-", headline.lower())


def test_an_editor_uploads_a_photo_from_the_entry_form_and_publishes(page, tmp_path):
    make_editor()
    make_entry(headline="An older entry", image=make_image("older.jpg"))
    make_entry(headline="Another older one")
    photo = tmp_path / "harbour-at-dawn.jpg"
    photo.write_bytes(image_bytes(320, 200, color=(200, 120, 40)))

    page.goto("/")
    assert page.locator("h1").inner_text() == "2 Entries"

    log_in(page)
    write_entry(page, "Harbour reopens after storm", "Ships are back.", "The harbour opened.")

    # "+" next to the photo field opens the image form in a popup; saving it selects the photo.
    with page.expect_popup() as popup_info:
        page.locator("#add_id_image").click()
    popup = popup_info.value
    popup.locator("#id_file").set_input_files(str(photo))
    popup.get_by_label("Caption:", exact=True).fill("The harbour at dawn")
    popup.get_by_label("Alt text:", exact=True).fill("Boats moored in a quiet harbour")
    popup.get_by_role("button", name="Save", exact=True).click()
    popup.wait_for_event("close")

    image = Image.objects.get(original_name="harbour-at-dawn.jpg")
    assert page.locator("#id_image").input_value() == str(image.pk)
    assert image.public_line in page.locator(".field-image").inner_text()
    # The preview below the field follows the choice: the thumbnail and the readers' line.
    preview = page.locator("#image-preview figcaption")
    preview.wait_for()
    assert preview.inner_text() == image.public_line

    page.get_by_role("button", name="Publish or schedule").click()
    page.wait_for_url("**/admin/entries/entry/")
    assert "Published" in page.locator(".messagelist").inner_text()

    page.goto("/")
    assert page.locator("h1").inner_text() == "3 Entries"
    first = page.locator(".entry-list > li").first
    assert first.locator("h2").inner_text() == "Harbour reopens after storm"
    assert first.locator("figcaption").inner_text() == image.public_line
    assert re.fullmatch(
        r"harbour-at-dawn\.jpg - The harbour at dawn, \d+\.\d\dKB", image.public_line
    )
    loaded = first.locator("img").evaluate("img => img.complete && img.naturalWidth")
    # Loaded, at the card's thumbnail width (10.5rem at 1280 px; srcset widths are
    # density-corrected to the `sizes` slot).
    assert loaded == 168


def test_a_scheduled_entry_is_hidden_from_readers_and_visible_in_the_staff_preview(page):
    make_editor()
    make_entry(headline="Already out")
    log_in(page)
    write_entry(page, "Summit next week", "Leaders will meet.", "Details to follow.")
    future = timezone.localtime() + timedelta(days=7)
    page.locator("#id_pub_date_0").fill(future.strftime("%Y-%m-%d"))
    page.locator("#id_pub_date_1").fill("09:30:00")
    page.get_by_role("button", name="Publish or schedule").click()
    page.wait_for_url("**/admin/entries/entry/")
    assert "Scheduled for" in page.locator(".messagelist").inner_text()

    entry = Entry.objects.get(headline="Summit next week")
    assert entry.publication_state == Entry.State.SCHEDULED

    # Readers: not on the listing, and the entry's address is not found.
    page.goto("/")
    assert page.locator("h1").inner_text() == "1 Entry"
    assert page.get_by_text("Summit next week").count() == 0
    assert page.goto(entry.get_absolute_url()).status == 404

    # Staff: the entry form's Preview link shows the public page.
    page.goto(f"/admin/entries/entry/{entry.pk}/change/")
    assert page.get_by_role("link", name="View on site").count() == 0
    page.get_by_role("link", name="Preview").click()
    page.wait_for_url(f"**/admin/entries/entry/{entry.pk}/preview/")
    assert page.locator("h1").inner_text() == "Summit next week"
    assert "scheduled" in page.locator(".preview-banner").inner_text()
    assert "Leaders will meet." in page.locator(".entry-summary").inner_text()

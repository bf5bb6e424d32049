"""An editor writes a real article in the admin's body editor, publishes it, and a reader
finds every element on the public page; all under the site's CSP, without a violation."""

import re

import pytest
from django.contrib.auth import get_user_model

from entries.models import BodyImage, Entry

from ..factories import image_bytes, make_entry, make_image

pytestmark = pytest.mark.django_db(transaction=True)

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def editor_page(page):
    get_user_model().objects.create_superuser("editor", "editor@example.org", "a-long-pass-9")
    page.context.add_init_script(WATCH)
    page.console = []
    page.on("console", lambda message: page.console.append(message.text))
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-pass-9")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return page


def body_editor(page):
    return page.locator(".tiptap.ProseMirror")


def assert_no_csp_violation(page):
    assert page.evaluate("window.__cspViolations") == []
    assert not [text for text in page.console if "Content Security Policy" in text]


def test_an_editor_writes_an_article_and_readers_see_every_element(editor_page, tmp_path):
    page = editor_page
    target = make_entry(headline="Harbour reopens after the storm")
    page.goto("/admin/entries/entry/add/")
    page.get_by_label("Headline").fill("Talks resume in Brussels")
    page.get_by_label("Summary").fill("Delegations met again on Tuesday.")

    editor = body_editor(page)
    editor.click()
    page.keyboard.type("## Where things stand")  # Markdown-style shortcuts, by keyboard
    page.keyboard.press("Enter")
    page.keyboard.type("The delegations agreed on two points.")
    page.keyboard.press("Enter")
    page.keyboard.type("- Fisheries")
    page.keyboard.press("Enter")
    page.keyboard.type("Energy")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.type("Background: ")

    # A link to another entry, chosen by searching headlines.
    page.get_by_role("button", name="Link to another entry").click()
    dialog = page.get_by_role("dialog", name="Link to another entry")
    dialog.get_by_label("Find an entry by headline").fill("harbour")
    dialog.get_by_role("button", name=re.compile("Harbour reopens after the storm")).click()
    page.keyboard.press("End")
    page.keyboard.press("Enter")

    # An inline photo, uploaded from the editor.
    photo = tmp_path / "240718a-001.jpg"
    photo.write_bytes(image_bytes(1400, 900))
    page.get_by_role("button", name="Insert a photo").click()
    dialog = page.get_by_role("dialog", name="Insert a photo")
    with page.expect_popup() as popup_info:
        dialog.get_by_role("button", name="Upload a new photo").click()
    popup = popup_info.value
    popup.get_by_label("File").set_input_files(str(photo))
    popup.get_by_label("Caption:", exact=True).fill("The delegations at the table")
    popup.get_by_label("Alt text:", exact=True).fill("Two rows of delegates facing each other")
    popup.get_by_role("button", name="Save", exact=True).click()
    popup.wait_for_event("close")
    inline = page.locator(".body-editor-photo")
    inline.wait_for()
    page.wait_for_function("() => document.querySelector('.body-editor-photo img') !== null")
    assert "240718a-001.jpg - The delegations at the table" in inline.inner_text()

    # A quotation with its attribution line.
    editor.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("> We will meet again in May.")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Attribution (who is quoted)").click()
    page.keyboard.type("A delegate")
    assert "words" in page.locator(".body-editor-count").inner_text()

    page.get_by_role("button", name="Publish or schedule").click()
    page.wait_for_url("**/admin/entries/entry/")
    entry = Entry.objects.get(headline="Talks resume in Brussels")
    assert entry.is_published
    assert BodyImage.objects.filter(entry=entry).count() == 1
    assert_no_csp_violation(page)

    page.goto(entry.get_absolute_url())
    body = page.locator(".entry-body")
    assert body.locator("h2").inner_text() == "Where things stand"
    assert body.locator("ul li").all_inner_texts() == ["Fisheries", "Energy"]
    link = body.get_by_role("link", name="Harbour reopens after the storm")
    assert link.get_attribute("href") == f"/entries/id/{target.pk}/"
    assert "We will meet again in May." in body.locator("blockquote").inner_text()
    assert body.locator("blockquote cite").inner_text() == "A delegate"
    figure = body.locator("figure.body-image")
    assert "240718a-001.jpg - The delegations at the table" in figure.inner_text()
    srcset = figure.locator("source[type='image/webp']").get_attribute("srcset")
    assert "320w" in srcset and "640w" in srcset and "1280w" in srcset
    assert figure.locator("img").get_attribute("alt") == "Two rows of delegates facing each other"
    assert figure.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    link.click()
    page.wait_for_url(f"**{target.get_absolute_url()}")


WORD_PROCESSOR_HTML = (
    "<style>p.MsoNormal { margin: 0 }</style>"
    '<h2 class="MsoHeading2" style="color:red">'
    '<span style="font-family:Calibri">Budget</span></h2>'
    '<p class="MsoNormal"><font color="blue">Plain <b>bold</b> '
    '<a href="https://example.org/" style="color:blue">link</a></font></p>'
    '<ul><li><span style="font-size:20pt">item</span></li></ul>'
)


def test_pasting_from_a_word_processor_keeps_structure_and_drops_the_rest(editor_page):
    page = editor_page
    page.goto("/admin/entries/entry/add/")
    body_editor(page).click()
    page.evaluate(
        """(html) => {
          const data = new DataTransfer();
          data.setData("text/html", html);
          data.setData("text/plain", "Budget Plain bold link item");
          document.querySelector(".tiptap.ProseMirror").dispatchEvent(
            new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
        }""",
        WORD_PROCESSOR_HTML,
    )
    html = page.locator("#id_body").input_value()
    assert "<h2>Budget</h2>" in html
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org/"' in html
    assert "<li><p>item</p></li>" in html
    for dropped in ["style", "class", "span", "font", "Calibri"]:
        assert dropped not in html, dropped
    assert_no_csp_violation(page)


def test_unsaved_text_asks_before_leaving_and_survives_a_reload(editor_page):
    page = editor_page
    entry = make_entry(body="<p>Saved text.</p>", image=make_image())
    page.goto(f"/admin/entries/entry/{entry.pk}/change/")
    body_editor(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Typed but not saved.")

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="Entries").first.click()
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    assert "/change/" in page.url  # stayed

    page.once("dialog", lambda dialog: dialog.accept())
    page.reload()
    page.get_by_role("button", name="Restore it").click()
    assert "Typed but not saved." in body_editor(page).inner_text()
    assert "Typed but not saved." in page.locator("#id_body").input_value()

    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_load_state("load")
    assert "Typed but not saved." in Entry.objects.get(pk=entry.pk).body
    page.reload()
    assert page.get_by_role("button", name="Restore it").count() == 0  # saved: draft gone
    assert_no_csp_violation(page)


def test_the_photo_field_shows_thumbnails_beside_the_public_line(editor_page):
    page = editor_page
    image = make_image("240403-nac.jpg", caption="Ministers at the table")
    page.goto("/admin/entries/entry/add/")
    page.locator(".field-image .select2-selection").click()
    page.locator(".select2-dropdown .select2-search__field").fill("ministers")
    option = page.locator(".select2-results__option .photo-choice")
    option.wait_for()
    assert option.locator("img").get_attribute("src") == image.file.url
    assert option.inner_text() == image.public_line
    option.click()
    assert page.locator("#id_image").input_value() == str(image.pk)
    assert_no_csp_violation(page)


def test_a_body_written_when_the_session_expired_is_offered_back_after_signing_in(editor_page):
    page = editor_page
    entry = make_entry(body="<p>Saved text.</p>")
    page.goto(f"/admin/entries/entry/{entry.pk}/change/")
    body_editor(page).click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" Written while signed out.")
    page.context.clear_cookies(name="sessionid")  # the session expired (CSRF cookie kept)
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_url("**/admin/login/**")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-pass-9")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/admin/entries/entry/{entry.pk}/change/")
    assert "Written while signed out." not in Entry.objects.get(pk=entry.pk).body
    page.get_by_role("button", name="Restore it").click()
    assert "Written while signed out." in body_editor(page).inner_text()
    assert_no_csp_violation(page)

"""A reader switches an entry page from English to French and back with the keyboard."""

import pytest

from ..factories import make_entry, make_translation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def story():
    english = make_entry(
        headline="Ministers meet in Brussels",
        slug="ministers-meet",
        summary="They talked about trade.",
    )
    french = make_translation(
        english,
        headline="Les ministres se réunissent à Bruxelles",
        slug="les-ministres-se-reunissent",
        summary="Ils ont parlé de commerce.",
    )
    return english, french


def switch_with_keyboard(page, language):
    """Focus the switcher's link to `language` and press Enter, as a keyboard user does."""
    link = page.locator(f".language-switcher a[hreflang={language}]")
    link.focus()
    assert page.evaluate("document.activeElement.getAttribute('hreflang')") == language
    page.keyboard.press("Enter")


def test_switching_an_entry_page_to_french_and_back(page, story):
    english, french = story
    page.goto(english.get_absolute_url())
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Ministers meet in Brussels"
    current = page.locator(".language-switcher [aria-current]")
    assert current.inner_text() == "English"

    switch_with_keyboard(page, "fr")
    page.wait_for_url(f"**{french.get_absolute_url()}")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Les ministres se réunissent à Bruxelles"
    assert page.locator(".language-switcher [aria-current]").inner_text() == "Français"
    assert page.locator(".language-switcher").get_attribute("aria-label") == "Langue"

    switch_with_keyboard(page, "en")
    page.wait_for_url(f"**{english.get_absolute_url()}")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Ministers meet in Brussels"


def test_an_untranslated_entry_switches_to_the_french_listing(page, story):
    only = make_entry(headline="Only in English", slug="only-in-english")
    page.goto(only.get_absolute_url())
    switch_with_keyboard(page, "fr")
    page.wait_for_url("**/fr/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "1 article"

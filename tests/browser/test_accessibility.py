"""Accessibility in a real browser: axe-core on the main page types, keyboard use, small screens."""

from pathlib import Path

import pytest
from django.test import override_settings

from entries.renditions import make_renditions

from ..factories import make_entry, make_image, make_topic, make_translation

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).resolve().parent.parent / "data" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def site():
    topic = make_topic("Energy", description="Power and pipelines.")
    entries = []
    for n in range(14):
        image = make_image(f"photo-{n}.jpg", width=900, height=600, caption=f"Harbour {n}")
        make_renditions(image)
        entry = make_entry(
            headline=f"Harbour story {n} with a rather long headline about ports",
            summary=f"Summary {n} about the harbour and its cranes.",
            body="First paragraph.\n\nSecond paragraph.",
            image=image,
        )
        entry.topics.add(topic)
        entries.append(entry)
    # French versions of the first six (and of the topic), for the French pages.
    sujet = make_translation(topic, name="Énergie", description="Électricité et gazoducs.")
    french = []
    for n, entry in enumerate(entries[:6]):
        version = make_translation(
            entry,
            headline=f"Histoire du port {n}, avec un titre assez long sur les ports",
            summary=f"Résumé {n} sur le port et ses grues.",
            body="Premier paragraphe.\n\nDeuxième paragraphe.",
        )
        version.topics.add(sujet)
        french.append(version)
    return {"topic": topic, "entries": entries, "sujet": sujet, "french": french}


def axe_violations(page):
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    assert len(result["passes"]) > 10  # axe really ran its rules on this page
    return [
        (v["id"], v["help"], [node["target"] for node in v["nodes"]]) for v in result["violations"]
    ]


@override_settings(ENTRIES_PER_PAGE=5)
def test_main_pages_have_no_wcag_violations(page, site):
    entry = site["entries"][0]
    pages = {
        "/": 200,
        entry.get_absolute_url(): 200,
        site["topic"].get_absolute_url(): 200,
        "/?q=harbour": 200,
        "/?year=abc": 400,
        "/topics/": 200,
        "/no-such-page/": 404,
        # French: the listing, an entry, search, a topic, filter errors, the 404 page.
        "/fr/": 200,
        site["french"][0].get_absolute_url(): 200,
        "/fr/?q=port": 200,
        site["sujet"].get_absolute_url(): 200,
        "/fr/?year=abc": 400,
        "/fr/topics/": 200,
        "/fr/no-such-page/": 404,
    }
    for url, status in pages.items():
        response = page.goto(url)
        assert response.status == status, url
        assert axe_violations(page) == [], url


@override_settings(ENTRIES_PER_PAGE=5)
def test_a_keyboard_user_pages_through_the_listing(page, site):
    page.goto("/")
    for expected_page in (2, 3):
        for _ in range(200):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "() => [document.activeElement.getAttribute('rel'), "
                "document.activeElement.textContent]"
            )
            if focused[0] == "next":
                break
        else:
            pytest.fail("the Next page link is not reachable with Tab")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**/?page={expected_page}")
        assert page.locator("h1").inner_text() == "14 Entries"
    assert page.locator(".pagination [aria-current=page]").inner_text() == "3"


def test_skip_link_and_back_to_top_move_keyboard_focus(page, site):
    page.goto(site["entries"][0].get_absolute_url())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.locator(".back-to-top a").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**#top")
    assert page.evaluate("document.activeElement.id") == "top"
    # The next Tab continues from the top of the page, not from the Back To Top link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Newsroom"


def test_focus_is_visible(page, site):
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_no_horizontal_scrolling_from_320_pixels_up(page, site):
    entry = site["entries"][0]
    urls = ["/", entry.get_absolute_url(), "/?q=harbour", site["topic"].get_absolute_url()]
    for width in (320, 768, 1440):
        page.set_viewport_size({"width": width, "height": 800})
        for url in urls:
            page.goto(url)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= width, (width, url, scroll_width)


def test_listing_serves_webp_renditions_lazily_below_the_first_entry(page, site):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/")
    first = page.locator(".entry-list img").first
    first.wait_for()
    source = first.evaluate("img => img.complete && img.currentSrc")
    assert source.endswith("-640w.webp") or source.endswith("-320w.webp"), source
    assert page.locator(".entry-list img").nth(1).get_attribute("loading") == "lazy"

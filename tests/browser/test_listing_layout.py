"""The listing on the demo's first page (the reference entries): compact rows on wide screens,
so a 1280x900 window shows at least three whole entries; stacked on phones."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)

WHOLE_ENTRIES = """
() => [...document.querySelectorAll(".entry-list > li")]
  .filter((li) => li.getBoundingClientRect().bottom <= window.innerHeight).length
"""


@pytest.fixture
def demo(settings):
    call_command("load_demo", verbosity=0)


def test_a_wide_window_shows_three_whole_entries_as_rows(page, demo):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/")
    assert page.evaluate(WHOLE_ENTRIES) >= 3
    first = page.locator(".entry-list > li").first
    photo = first.locator(".entry-image img").bounding_box()
    headline = first.locator(".entry-headline").bounding_box()
    assert photo["width"] < 200
    assert headline["x"] > photo["x"] + photo["width"]  # beside the photo, not under it


def test_a_phone_keeps_the_stacked_layout(page, demo):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    first = page.locator(".entry-list > li").first
    photo = first.locator(".entry-image img").bounding_box()
    headline = first.locator(".entry-headline").bounding_box()
    assert photo["width"] > 300
    assert headline["y"] > photo["y"] + photo["height"]  # under the photo
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

import pytest

from ..factories import make_entry, make_image

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reader_opens_an_entry_from_the_listing_and_its_photo_loads(page):
    entry = make_entry(headline="Harbour reopens", image=make_image("harbour.jpg"))
    page.goto("/")
    assert page.locator("h1").inner_text() == "1 Entry"
    page.get_by_role("link", name="Harbour reopens").click()
    page.wait_for_url(f"**{entry.get_absolute_url()}")
    assert page.locator("h1").inner_text() == "Harbour reopens"
    loaded = page.locator(".entry-image img").evaluate("img => img.complete && img.naturalWidth")
    assert loaded == 64

"""An article that uses every element the body allows reads well at 320 px and 1440 px, with
zero axe-core WCAG 2.2 A/AA violations."""

import pytest

from entries.renditions import make_renditions

from ..factories import make_entry, make_image
from ..test_rich_bodies import ARTICLE
from .test_accessibility import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def article():
    photo = make_image("inline-photo.jpg", width=1400, height=900, caption="Delegates")
    make_renditions(photo)
    other = make_entry(headline="An earlier entry")
    body = (
        ARTICLE
        + f'<p>See <a href="/entries/id/{other.pk}/">an earlier entry</a> and '
        + '<a href="mailto:desk@example.org">write to the desk</a>.</p>'
        + f'<figure data-image="{photo.pk}"></figure>'
        + "<blockquote><p>A long quotation that runs over a line or two.</p>"
        + "<p><cite>A spokesperson</cite></p></blockquote>"
        + "<ol><li><p>One</p></li><li><p>Two</p></li></ol>"
        + "<table><tbody><tr><th>Very long heading cell without spaces"
        + "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</th><td>value</td></tr></tbody></table>"
    )
    return make_entry(headline="Every element", summary="The lead.", body=body, image=photo)


@pytest.mark.parametrize("width", [320, 1440])
def test_an_article_with_every_element_reads_well_and_passes_axe(page, article, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(article.get_absolute_url())
    body = page.locator(".entry-body")
    for selector in ["h2", "h3", "ul", "ol", "blockquote", "cite", "hr", "table", "figure"]:
        assert body.locator(selector).count() >= 1, selector
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    measure = body.locator("p").first.bounding_box()["width"]
    assert measure <= 40 * 17 + 1  # at most 40rem of text per line
    assert axe_violations(page) == []

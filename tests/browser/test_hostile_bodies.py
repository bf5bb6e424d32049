"""Every hostile body of the corpus, on its real entry page in Chromium with the CSP turned
off (so the sanitiser alone stands between the vector and the reader): no script runs, not
even when the page's elements get the events the vectors wait for."""

import pytest

from ..factories import make_entry
from ..hostile_bodies import VECTORS

pytestmark = pytest.mark.django_db(transaction=True)

TRAP = """
window.__ran = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => window.__ran.push(name + ":" + args.join(","));
}
"""

PROVOKE = """
() => {
  for (const element of document.querySelectorAll(".entry-body *")) {
    for (const type of ["mouseover", "mouseenter", "focus", "load", "error", "toggle"]) {
      element.dispatchEvent(new Event(type));
    }
  }
  return [...document.querySelectorAll(".entry-body a[href]")]
    .map((a) => a.protocol)
    .filter((p) => !["http:", "https:", "mailto:"].includes(p));
}
"""


@pytest.fixture
def open_page(browser, live_server, settings):
    settings.SERVE_MEDIA = True
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.add_init_script(TRAP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_the_trap_catches_a_script_that_runs(open_page):
    open_page.set_content("<p>x</p><img src=x onerror=alert(1)><script>alert(2)</script>")
    open_page.wait_for_timeout(200)
    assert sorted(open_page.evaluate("window.__ran")) == ["alert:1", "alert:2"]


def test_no_hostile_body_runs_a_script_in_the_browser(open_page):
    entries = [make_entry(body=f"<p>Before.</p>{vector}<p>After.</p>") for vector in VECTORS]
    for entry, vector in zip(entries, VECTORS, strict=True):
        open_page.goto(entry.get_absolute_url())
        open_page.wait_for_load_state("load")
        bad_links = open_page.evaluate(PROVOKE)
        open_page.wait_for_timeout(20)
        assert open_page.evaluate("window.__ran") == [], vector
        assert bad_links == [], vector
        assert open_page.url.endswith(entry.get_absolute_url()), vector  # no meta refresh

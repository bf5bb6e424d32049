"""The Django admin keeps working under the site's strict Content-Security-Policy."""

import pytest
from django.contrib.auth import get_user_model

from ..factories import make_entry, make_image, make_topic

pytestmark = pytest.mark.django_db(transaction=True)

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def test_an_editor_uses_the_admin_without_any_csp_violation(page):
    get_user_model().objects.create_superuser("editor", "editor@example.org", "a-long-pass-9")
    entry = make_entry(image=make_image())
    entry.topics.add(make_topic())
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(WATCH_VIOLATIONS)

    response = page.goto("/admin/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-pass-9")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")

    violations = []
    for path in [
        "/admin/entries/entry/",
        f"/admin/entries/entry/{entry.pk}/change/",
        "/admin/entries/entry/add/",
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        violations += page.evaluate("window.__cspViolations")
    # The admin's JavaScript ran: the autocomplete widgets were built by select2.
    assert page.locator(".select2-container").count() >= 1
    page.get_by_label("Headline").press_sequentially("Typed headline")
    assert page.get_by_label("Slug").input_value() == "typed-headline"  # prepopulated field JS
    assert violations == []
    assert not [text for text in console if "Content Security Policy" in text]

"""A corpus of hostile bodies (tests/hostile_bodies.py, OWASP XSS filter-evasion vectors) goes
through the admin form and through the ORM: nothing that could run is stored or shown, and a
real browser loading each entry page records no script run (tests/browser/)."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from entries import richtext
from entries.models import Entry

from .factories import make_editor, make_entry
from .hostile_bodies import VECTORS
from .test_admin import entry_form_data
from .test_escaping import assert_nothing_runs

pytestmark = pytest.mark.django_db


# The elements and attributes a shown body may have: the allowlist's, and `rel` on links.


class Markup(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {name for name, _ in attrs}))


def assert_only_allowed_markup(html):
    parser = Markup()
    parser.feed(html)
    for tag, attributes in parser.found:
        assert tag in richtext.TAGS, tag
        allowed = richtext.ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        assert attributes <= allowed, (tag, attributes)


def test_the_corpus_is_large():
    assert len(VECTORS) >= 40


@pytest.mark.parametrize("number", range(len(VECTORS)))
def test_a_hostile_body_saved_through_the_orm_cannot_run(client, number):
    entry = make_entry(body=f"<p>Before.</p>{VECTORS[number]}<p>After.</p>")
    entry.refresh_from_db()
    assert_nothing_runs(entry.body, "stored body")
    response = client.get(entry.get_absolute_url())
    assert response.status_code == 200
    assert_nothing_runs(response.text, entry.get_absolute_url())
    assert_only_allowed_markup(
        response.text.split('<div class="entry-body">')[1].split("</article>")[0]
    )


def test_hostile_bodies_posted_through_the_admin_form_cannot_run(client):
    client.force_login(make_editor(username="hostile-editor"))
    for number, vector in enumerate(VECTORS):
        data = entry_form_data(headline=f"Hostile {number}", slug=f"hostile-{number}", body=vector)
        response = client.post(reverse("admin:entries_entry_add"), data)
        assert response.status_code == 302, (number, vector)
        entry = Entry.objects.get(slug=f"hostile-{number}")
        assert_nothing_runs(entry.body, vector)
        preview = client.get(reverse("admin:entries_entry_preview", args=[entry.pk]))
        assert preview.status_code == 200
        assert_nothing_runs(preview.text, vector)

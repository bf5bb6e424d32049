"""An entry's old addresses answer a 301 to the current one; links by id follow slug changes."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from entries.models import Entry, OldSlug

from .factories import make_entry

pytestmark = pytest.mark.django_db


def rename(entry, slug):
    entry.slug = slug
    entry.save()


def test_an_old_slug_redirects_permanently_to_the_current_address(client):
    entry = make_entry(slug="first-name")
    rename(entry, "second-name")
    rename(entry, "third-name")
    for old in ["first-name", "second-name"]:
        response = client.get(f"/entries/{old}/")
        assert response.status_code == 301
        assert response["Location"] == "/entries/third-name/"
    assert client.get("/entries/third-name/").status_code == 200


def test_old_addresses_stay_out_of_the_sitemap(client):
    entry = make_entry(slug="before")
    rename(entry, "after")
    root = ET.fromstring(client.get(reverse("site:sitemap")).content)
    locations = [loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert any(loc.endswith("/entries/after/") for loc in locations)
    assert not any(loc.endswith("/entries/before/") for loc in locations)


def test_a_slug_taken_again_belongs_to_its_new_entry(client):
    entry = make_entry(slug="shared")
    rename(entry, "moved")
    newcomer = make_entry(slug="shared")
    assert not OldSlug.objects.filter(slug="shared").exists()
    assert client.get("/entries/shared/").context["entry"] == newcomer


def test_an_old_slug_of_an_unpublished_entry_is_a_404(client):
    entry = make_entry(slug="was-here")
    rename(entry, "now-here")
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.DRAFT)
    assert client.get("/entries/was-here/").status_code == 404
    assert client.get("/entries/never-was/").status_code == 404


def test_a_link_by_id_keeps_working_when_the_slug_changes(client):
    target = make_entry(slug="original")
    entry = make_entry(body=f'<p><a href="/entries/id/{target.pk}/">Read this</a></p>')
    rename(target, "renamed")
    page = client.get(entry.get_absolute_url()).text
    response = client.get(f"/entries/id/{target.pk}/")
    assert f'href="/entries/id/{target.pk}/"' in page or 'href="/entries/renamed/"' in page
    assert response.status_code == 301
    assert response["Location"] == "/entries/renamed/"
    assert client.get("/entries/id/999999/").status_code == 404

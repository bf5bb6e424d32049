"""Every admin URL, and every other staff-only URL, refuses anonymous and non-staff users.

The URLs come from the URLconf (tests/urlwalk.py): each admin route, with real objects in its
variables. Staff-only routes outside the admin (a draft preview) are those named in
STAFF_ONLY_NAMES or whose name contains "preview".
"""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from entries.models import Entry, Image, Topic
from tests import urlwalk
from tests.factories import make_entry, make_image, make_topic

# Staff-only URLs outside /admin/, by "namespace:name"; add new ones here if their name does
# not say "preview".
STAFF_ONLY_NAMES = set()
# Public on purpose: the login form itself.
PUBLIC_ADMIN_NAMES = {"login"}


def is_staff_only(route):
    if route.is_admin:
        return route.name not in PUBLIC_ADMIN_NAMES
    full_name = f"{route.namespace}:{route.name}" if route.namespace else route.name
    return full_name in STAFF_ONLY_NAMES or "preview" in (route.name or "")


@pytest.fixture
def objects(db):
    Group.objects.get_or_create(name="Editors")
    entry = make_entry(status=Entry.Status.DRAFT, image=make_image())
    entry.topics.add(make_topic())
    return {"entry": entry}


def staff_only_urls(objects):
    user = get_user_model().objects.create_user("someone", password="x" * 12)
    entry = objects["entry"]
    urls = []
    for route in urlwalk.routes():
        if not is_staff_only(route):
            continue
        model = _model_of(route)

        def examples(name, _kind, model=model):
            if name == "object_id":
                first = model.objects.order_by("pk").first() if model else entry
                return [first.pk if first else 1]  # a model with no rows yet: any id
            if name == "content_type_id":
                return [ContentType.objects.get_for_model(Entry).pk]
            if name == "id":  # the user password form
                return [user.pk]
            if name == "app_label":
                return ["entries"]
            if name == "url":
                return ["no-such-page/"]
            return [entry.slug] if name == "slug" else [entry.pk]

        urls += urlwalk.fill(route, examples)
    return urls


def _model_of(route):
    """The model of an admin route like admin/entries/entry/<path:object_id>/change/."""
    parts = route.route.split("/")
    if route.is_admin and len(parts) > 3:
        try:
            return apps.get_model(parts[1], parts[2])
        except (LookupError, ValueError):
            return None
    return None


def assert_refused(response, url):
    if response.status_code == 302:
        # To a login form, or (logging out when not logged in) to the admin index, which
        # itself sends outsiders to the login form.
        login = reverse("admin:login")
        location = response["Location"]
        assert location.startswith((login, "/accounts/login/")) or (
            location == reverse("admin:index")
        ), f"{url} -> {location}"
    else:
        assert response.status_code in {403, 404, 405}, f"{response.status_code} for {url}"


def counts():
    return [Entry.objects.count(), Image.objects.count(), Topic.objects.count()]


def test_walk_covers_the_admin(objects):
    urls = staff_only_urls(objects)
    entry = objects["entry"]
    assert reverse("admin:index") in urls
    assert reverse("admin:entries_entry_change", args=[entry.pk]) in urls
    assert reverse("admin:entries_image_delete", args=[entry.image.pk]) in urls
    assert (
        reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(Entry).pk, entry.pk])
        in urls
    )


def test_staff_get_the_admin_pages(client, objects):
    """The control: with a staff account the same URLs do show content."""
    client.force_login(get_user_model().objects.create_superuser("chief", password="x" * 12))
    entry = objects["entry"]
    for url in [
        reverse("admin:index"),
        reverse("admin:entries_entry_change", args=[entry.pk]),
        reverse("admin:entries_image_changelist"),
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["anonymous", "non-staff"])
def test_every_staff_url_refuses_outsiders(client, objects, who):
    if who == "non-staff":
        reader = get_user_model().objects.create_user("reader", password="x" * 12)
        client.force_login(reader)
    before = counts()
    for url in staff_only_urls(objects):
        assert_refused(client.get(url), url)
        # Posting does nothing either: no row is added, changed or deleted.
        assert_refused(client.post(url, {"headline": "Changed", "post": "yes"}), url)
    assert counts() == before
    entry = Entry.objects.get(pk=objects["entry"].pk)
    assert entry.headline != "Changed"

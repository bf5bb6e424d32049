"""Image health: every group of images that needs attention, on its page, in the images list's
filter and on the admin index."""

from itertools import count

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from entries import image_health
from entries.models import Image, Rendition

from .factories import image_bytes, make_editor, make_entry, make_image

pytestmark = pytest.mark.django_db

HEALTH = "/admin/entries/image/health/"


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


_widths = count(60)


def unique_image(name, **overrides):
    """A real image whose bytes no other test image has (another width)."""
    return make_image(name, **{"width": next(_widths), **overrides})


def healthy(name, **overrides):
    """An image that needs nothing: alt text, caption, credit, used, with a rendition."""
    image = unique_image(name, credit="Agency", **overrides)
    make_entry(image=image)
    Rendition.objects.create(
        image=image,
        format="jpeg",
        width=64,
        height=48,
        file="renditions/x.jpg",
        source=image.file.name,
    )
    return image


def in_group(slug):
    return set(image_health.need(slug).images())


def test_each_group_finds_its_images_and_only_them():
    fine = healthy("fine.jpg")
    no_alt = healthy("no-alt.jpg", alt_text="  ")
    decorative = healthy("decorative.jpg", alt_text="", decorative=True)
    no_caption = healthy("no-caption.jpg", caption="")
    no_credit = healthy("no-credit.jpg")
    Image.objects.filter(pk=no_credit.pk).update(credit="")
    heavy = healthy("heavy.jpg")
    Image.objects.filter(pk=heavy.pk).update(file_size=5 * 1024 * 1024 + 1)
    wide = healthy("wide.jpg", width=4001, height=10)
    no_renditions = unique_image("no-renditions.jpg", credit="Agency")
    make_entry(image=no_renditions)
    unused = unique_image("unused.jpg", credit="Agency")
    Rendition.objects.create(
        image=unused,
        format="jpeg",
        width=64,
        height=48,
        file="renditions/u.jpg",
        source=unused.file.name,
    )
    in_body = unique_image("in-body.jpg", credit="Agency")
    Rendition.objects.create(
        image=in_body,
        format="jpeg",
        width=64,
        height=48,
        file="renditions/b.jpg",
        source=in_body.file.name,
    )
    make_entry(body=f'<p>Text.</p><figure data-image="{in_body.pk}"></figure>')

    assert in_group("no-alt-text") == {no_alt}
    assert decorative not in in_group("no-alt-text")
    assert in_group("no-caption") == {no_caption}
    assert in_group("no-credit") == {no_credit}
    assert in_group("oversized") == {heavy, wide}
    assert in_group("renditions-missing") == {no_renditions}
    assert in_group("unused") == {unused}
    assert fine not in set().union(*(in_group(need.slug) for need in image_health.NEEDS))


def test_the_same_file_uploaded_twice_is_found_by_its_content():
    first = make_image("harbour.jpg")
    again = make_image("harbour-copy.jpg")  # same pixels, same bytes
    other = Image.objects.create(
        file=SimpleUploadedFile("other.jpg", image_bytes(color=(1, 2, 3)), "image/jpeg"),
        alt_text="x",
    )
    assert first.content_hash and first.content_hash == again.content_hash
    assert other.content_hash != first.content_hash
    assert in_group("duplicates") == {first, again}


def test_images_stored_before_hashing_are_hashed_by_the_command():
    image = make_image("old.jpg")
    Image.objects.filter(pk=image.pk).update(content_hash="")
    from django.core.management import call_command

    call_command("hash_images", verbosity=0)
    image.refresh_from_db()
    assert len(image.content_hash) == 64


def test_the_health_page_shows_each_group_with_its_count_and_links(editor_client):
    no_alt = make_image("needs-words.jpg", alt_text="", caption="Harbour")
    page = editor_client.get(HEALTH)
    assert page.status_code == 200
    text = page.text
    assert "No alt text and not decorative: 1" in text
    assert f'href="/admin/entries/image/{no_alt.pk}/change/"' in text
    assert 'href="/admin/entries/image/?needs=no-alt-text"' in text
    for need in image_health.NEEDS:
        assert f'id="{need.slug}"' in text


def test_the_images_list_filters_by_need(editor_client):
    no_caption = make_image("no-caption.jpg", caption="")
    with_caption = make_image("with-caption.jpg", caption="Words")
    page = editor_client.get("/admin/entries/image/", {"needs": "no-caption"})
    assert page.status_code == 200
    assert no_caption.file_name in page.text and with_caption.file_name not in page.text
    assert "needs attention" in editor_client.get("/admin/entries/image/").text


def test_the_admin_index_shows_the_counts(editor_client):
    make_image("a.jpg", credit="")
    make_image("b.jpg", credit="")
    page = editor_client.get("/admin/").text
    assert "Image health" in page
    assert '?needs=no-credit">No credit</a>: 2' in page


def test_the_health_page_is_for_staff_who_may_see_images(client):
    assert client.get(HEALTH).status_code == 302
    client.force_login(get_user_model().objects.create_user("reader"))
    assert client.get(HEALTH).status_code == 302
    client.force_login(get_user_model().objects.create_user("bare", is_staff=True))
    assert client.get(HEALTH).status_code == 403
    client.force_login(make_editor())
    assert client.get(HEALTH).status_code == 200

from datetime import timedelta

import pytest
from django.db.models import ProtectedError
from django.utils import timezone

from entries.models import Entry, Image

from .factories import image_bytes, make_entry, make_image

pytestmark = pytest.mark.django_db


def test_image_metadata_is_read_from_the_stored_file():
    image = make_image("harbour.jpg", width=120, height=80)
    image.refresh_from_db()
    assert (image.width, image.height) == (120, 80)
    assert image.file_size == len(image_bytes(120, 80)) == image.file.size
    assert image.file_name == "harbour.jpg"


def test_public_line_has_name_caption_and_size_in_kb():
    image = Image(
        file="images/2024/07/240718a-001.jpg",
        caption="A meeting",
        file_size=110725,
        width=1,
        height=1,
    )
    assert image.public_line == "240718a-001.jpg - A meeting, 108.13KB"


def test_public_line_leaves_out_an_empty_caption():
    image = Image(file="images/240216-msc.jpg", caption="", file_size=37100, width=1, height=1)
    assert image.public_line == "240216-msc.jpg, 36.23KB"


@pytest.mark.parametrize(
    ("size", "shown"),
    [(1024, "1.00"), (101253, "98.88"), (1029, "1.00"), (1030, "1.01"), (0, "0.00")],
)
def test_size_is_bytes_over_1024_with_two_decimals(size, shown):
    assert Image(file_size=size).size_kb == shown


def test_published_excludes_drafts_and_future_entries():
    visible = make_entry()
    make_entry(status=Entry.Status.DRAFT)
    make_entry(pub_date=timezone.now() + timedelta(minutes=5))
    assert list(Entry.objects.published()) == [visible]


def test_is_published_mirrors_the_queryset_rule():
    assert make_entry().is_published
    assert not make_entry(status=Entry.Status.DRAFT).is_published
    assert not make_entry(pub_date=timezone.now() + timedelta(hours=1)).is_published


def test_an_image_used_by_an_entry_cannot_be_deleted():
    image = make_image()
    make_entry(image=image)
    with pytest.raises(ProtectedError):
        image.delete()
    assert Image.objects.filter(pk=image.pk).exists()


def test_entry_url_uses_its_slug():
    assert make_entry(slug="a-slug").get_absolute_url() == "/entries/a-slug/"


def test_listing_order_is_newest_first_with_id_breaking_ties():
    when = timezone.now() - timedelta(days=1)
    first, second = make_entry(pub_date=when), make_entry(pub_date=when)
    newest = make_entry(pub_date=when + timedelta(hours=1))
    assert list(Entry.objects.published()) == [newest, second, first]

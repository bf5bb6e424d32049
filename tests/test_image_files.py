"""Image files follow the database: replaced and deleted files go only once the change is
committed, and a save that fails part-way leaves no new file and keeps the old one."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from entries.admin import ImageAdmin
from entries.models import Image
from entries.signals import files_follow_transaction

from .factories import image_bytes, make_editor, make_entry, make_image, stored_originals

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def change(client, image, name, content):
    return client.post(
        f"/admin/entries/image/{image.pk}/change/",
        {
            "file": SimpleUploadedFile(name, content, content_type="image/png"),
            "caption": image.caption,
            "alt_text": image.alt_text,
        },
    )


def test_replacing_the_file_updates_size_and_dimensions_and_removes_the_old_file_on_commit(
    editor_client, settings, django_capture_on_commit_callbacks
):
    image = make_image("old.jpg", width=64, height=48)
    old_name = image.file.name
    new_content = image_bytes(300, 200, fmt="PNG")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = change(editor_client, image, "new.png", new_content)
    assert response.status_code == 302
    image.refresh_from_db()
    assert (image.width, image.height, image.file_size) == (300, 200, len(new_content))
    assert image.file_name == "new.png"
    # Until the change is committed, both files are there: a rollback would need the old one.
    assert stored_originals(settings) == sorted([old_name, image.file.name])
    for callback in callbacks:
        callback()
    assert stored_originals(settings) == [image.file.name]


def test_deleting_an_image_removes_its_file_on_commit(
    editor_client, settings, django_capture_on_commit_callbacks
):
    image = make_image("gone.jpg")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = editor_client.post(f"/admin/entries/image/{image.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Image.objects.exists()
    assert stored_originals(settings) == [image.file.name], "kept until the deletion commits"
    for callback in callbacks:
        callback()
    assert stored_originals(settings) == []


def test_bulk_deleting_images_leaves_no_orphan_files(
    editor_client, settings, django_capture_on_commit_callbacks
):
    images = [make_image(f"photo-{n}.jpg") for n in range(3)]
    kept = make_image("kept.jpg")
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(
            "/admin/entries/image/",
            {
                "action": "delete_selected",
                "_selected_action": [image.pk for image in images],
                "post": "yes",
            },
        )
    assert list(Image.objects.all()) == [kept]
    assert stored_originals(settings) == [kept.file.name]


def test_an_image_used_by_an_entry_is_not_deleted_and_keeps_its_file(
    editor_client, settings, django_capture_on_commit_callbacks
):
    image = make_image()
    make_entry(image=image)
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post(f"/admin/entries/image/{image.pk}/delete/", {"post": "yes"})
    assert Image.objects.filter(pk=image.pk).exists()
    assert stored_originals(settings) == [image.file.name]


def test_a_rolled_back_delete_keeps_the_file(settings):
    image = make_image()
    pk, name = image.pk, image.file.name
    with pytest.raises(RuntimeError), transaction.atomic():
        image.delete()
        raise RuntimeError("the deletion fails after the row is gone")
    assert Image.objects.filter(pk=pk).exists()
    assert stored_originals(settings) == [name]


class Failure(Exception):
    pass


def test_an_admin_save_that_fails_after_writing_the_new_file_leaves_everything_as_it_was(
    editor_client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    image = make_image("old.jpg")
    before = (image.file.name, image.width, image.height, image.file_size)

    # The new file is written and the row updated; then the admin's transaction fails.
    def fail(*args, **kwargs):
        raise Failure("after the file was written")

    monkeypatch.setattr(ImageAdmin, "log_change", fail)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Failure):
        change(editor_client, image, "new.png", image_bytes(300, 200, fmt="PNG"))

    image.refresh_from_db()
    assert (image.file.name, image.width, image.height, image.file_size) == before
    assert stored_originals(settings) == [image.file.name]


def test_a_new_image_whose_save_fails_leaves_no_file(editor_client, settings, monkeypatch):
    monkeypatch.setattr(ImageAdmin, "log_addition", lambda *args: (_ for _ in ()).throw(Failure))
    with pytest.raises(Failure):
        editor_client.post(
            "/admin/entries/image/add/",
            {
                "file": SimpleUploadedFile("new.jpg", image_bytes()),
                "caption": "c",
                "alt_text": "a",
            },
        )
    assert not Image.objects.exists()
    assert stored_originals(settings) == []


def test_files_follow_transaction_outside_the_admin(settings):
    image = make_image("old.jpg")
    with pytest.raises(Failure), files_follow_transaction(), transaction.atomic():
        image.file = SimpleUploadedFile("new.jpg", image_bytes(10, 10))
        image.save()
        assert len(stored_originals(settings)) == 2  # the new file is on disk now
        raise Failure
    image.refresh_from_db()
    assert stored_originals(settings) == [image.file.name]
    assert image.file_name == "old.jpg"


def test_a_successful_save_inside_files_follow_transaction_keeps_its_file(settings):
    with files_follow_transaction():
        image = make_image("kept.jpg")
    assert stored_originals(settings) == [image.file.name]

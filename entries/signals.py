"""Image files follow the database transaction.

- A replaced file is deleted from storage only once the change is committed, and a deleted
  image's file once the deletion is committed: a rollback leaves the old file in place.
- A file written by a save that is then rolled back is not referenced by any row; the code
  that runs the save wraps it in `files_follow_transaction()`, which deletes such files.
"""

import contextvars
from contextlib import contextmanager
from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from .models import Image

# Names of files written inside the innermost `files_follow_transaction()` block.
_written = contextvars.ContextVar("entries_written_files", default=None)


def _delete_file(storage, name):
    # Another row may point at the same name (a copy made in the shell, a fixture): keep it.
    if name and not Image.objects.filter(file=name).exists():
        storage.delete(name)


@receiver(pre_save, sender=Image)
def remember_stored_file(sender, instance, raw=False, **kwargs):
    # The name stored in the row now; FileField writes the new file after this signal.
    instance._stored_file_name = None
    if instance.pk and not raw:
        instance._stored_file_name = (
            Image.objects.filter(pk=instance.pk).values_list("file", flat=True).first()
        )


@receiver(post_save, sender=Image)
def delete_replaced_file_on_commit(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    old, new = getattr(instance, "_stored_file_name", None), instance.file.name
    if new and new != old:
        written = _written.get()
        if written is not None:
            written.append((instance.file.storage, new))
    if old and old != new:
        transaction.on_commit(partial(_delete_file, instance.file.storage, old))


@receiver(post_delete, sender=Image)
def delete_file_on_commit(sender, instance, **kwargs):
    if instance.file:
        transaction.on_commit(partial(_delete_file, instance.file.storage, instance.file.name))


@contextmanager
def files_follow_transaction():
    """Delete the files written inside this block that no row refers to when it ends.

    Wrap a whole unit of work (the admin wraps each add/change view) around its own
    `transaction.atomic()`: when the work fails and rolls back, the new files go too.
    """
    token = _written.set([])
    try:
        yield
    finally:
        written = _written.get()
        _written.reset(token)
        for storage, name in written:
            _delete_file(storage, name)

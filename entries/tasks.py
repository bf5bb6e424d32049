"""Renditions are made off the request, by a background task (Django's tasks framework).

Saving an image with a new file queues `make_image_renditions`: with the database backend
(django-tasks-db) a task row written in the image's own transaction, which `manage.py
db_worker` picks up once it commits (no other server needed); with another backend, queued
after the commit. The admin's save returns at once; pages show the original until the renditions
exist. A failed attempt is recorded on the image (`rendition_status`, `rendition_attempts`,
`rendition_error`, shown in the admin) and retried later, up to MAX_ATTEMPTS in all; after
that the image stays "Failed" until `manage.py make_renditions` or a new file succeeds.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.tasks import task, task_backends
from django.utils import timezone
from django_tasks_db import DatabaseBackend

from .models import Image, RenditionStatus
from .renditions import make_renditions

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
# Waits before the 2nd, 3rd and 4th attempts (backends that cannot defer retry at once).
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=5), timedelta(minutes=30))


class RenditionsFailed(Exception):
    pass


@task
def make_image_renditions(image_id, file_name):
    """Make the renditions of `file_name`, if it is still the image's file."""
    image = Image.objects.filter(pk=image_id).first()
    if image is None or image.file.name != file_name:
        return "superseded"  # deleted or replaced: the newer file has its own task
    attempts = image.rendition_attempts + 1
    try:
        made = make_renditions(image)
    except Exception as error:
        failed = attempts >= MAX_ATTEMPTS
        _record(
            image_id,
            file_name,
            status=RenditionStatus.FAILED if failed else RenditionStatus.PENDING,
            attempts=attempts,
            error=f"Attempt {attempts} of {MAX_ATTEMPTS}: {type(error).__name__}: {error}",
        )
        if not failed:
            _retry(image_id, file_name, attempts)
        raise  # the task's own result keeps the traceback
    _record(image_id, file_name, status=RenditionStatus.READY, attempts=attempts, error="")
    return made


def _record(image_id, file_name, *, status, attempts, error):
    # Only while the file is unchanged: a replaced file starts again from "Being made".
    Image.objects.filter(pk=image_id, file=file_name).update(
        rendition_status=status, rendition_attempts=attempts, rendition_error=error[:2000]
    )


def _retry(image_id, file_name, attempts):
    job = make_image_renditions
    if task_backends[job.backend].supports_defer:
        delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
        job = job.using(run_after=timezone.now() + delay)
    logger.warning("Renditions of image %s failed (attempt %s); retrying", image_id, attempts)
    job.enqueue(image_id, file_name)


def enqueue_renditions(image_id, file_name):
    """Queue the renditions of an image's file; a queue that is down loses nothing, since
    `manage.py make_renditions` makes whatever is missing (the admin shows such images)."""
    try:
        return make_image_renditions.enqueue(image_id, file_name)
    except Exception:
        logger.exception("Could not queue the renditions of image %s", image_id)
        return None


@receiver(post_save, sender=Image, dispatch_uid="entries_image_renditions")
def image_saved(sender, instance, created, raw=False, **kwargs):
    """A new file's renditions are queued once the row commits; a save that keeps the file
    (a caption edit) queues nothing."""
    if raw or not instance.file:  # loaddata: load_demo makes them once all rows are in
        return
    # `_stored_file_name`: the name in the row before this save (entries/signals.py).
    if created or instance.file.name != getattr(instance, "_stored_file_name", None):
        image_id, name = instance.pk, instance.file.name
        if _queue_is_this_database():
            # The task row is written in the image's own transaction: both commit or neither,
            # so no upload can lose its task, and no worker sees it before the commit.
            with transaction.atomic():  # a savepoint: a failed INSERT spoils nothing else
                enqueue_renditions(image_id, name)
        else:
            transaction.on_commit(lambda: enqueue_renditions(image_id, name))


def _queue_is_this_database():
    return isinstance(task_backends[make_image_renditions.backend], DatabaseBackend)

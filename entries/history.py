"""Every change to an entry or an image's text is kept as a version (django-reversion).

One small module around the library (STYLE.md): what is versioned, who and what a version is
recorded with, and the writes that send no signals.

- The admin records its own saves, bulk actions, restores and recoveries inside `recording()`,
  with the editor as author and a comment in the desk's words ("Published", "Scheduled for
  3 Dec. 2026, 08:00", "Restored version 4"). Each save adds three queries: reversion's check
  that the rows exist, the revision and its versions (one INSERT for all of them).
- Everything else (commands, the shell, `loaddata`) is recorded when its transaction commits,
  by "system", with the command's name, and only when a versioned field really changed.
- `QuerySet.update` sends no signal: `EntryQuerySet.update` calls `record_update()`, which
  records the rows it touched when the update sets a versioned field.
"""

import sys
from contextlib import contextmanager
from datetime import datetime
from functools import partial

import reversion
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save, pre_delete
from django.utils import timezone
from reversion.models import Revision, Version

from .dates import editor_datetime
from .models import Entry, Image, Topic

# What a version keeps; `version` is the entry's edit counter, shown as "version 4".
ENTRY_FIELDS = (
    "headline",
    "slug",
    "summary",
    "body",
    "image",
    "topics",
    "status",
    "pub_date",
    "pub_date_chosen",
    "planned_date",
    "version",
)
IMAGE_FIELDS = ("caption", "alt_text", "decorative", "credit")
# Fields whose change is worth naming in the history, in the form's order.
SHOWN_FIELDS = {
    Entry: ("headline", "slug", "summary", "body", "image", "topics", "status", "pub_date"),
    Image: IMAGE_FIELDS,
}
FIELD_ATTNAMES = {"image": "image_id"}


def register():
    reversion.register(Entry, fields=ENTRY_FIELDS)
    reversion.register(Image, fields=IMAGE_FIELDS)
    for model in (Entry, Image):
        post_save.connect(_saved_outside_admin, sender=model, dispatch_uid=f"history-{model}")
    m2m_changed.connect(
        _topics_changed_outside_admin, sender=Entry.topics.through, dispatch_uid="history-topics"
    )
    pre_delete.connect(_entry_deleted, sender=Entry, dispatch_uid="history-entry-deleted")


def versions_of(obj_or_model, pk=None):
    """An object's versions, newest first, with their revision and its author."""
    model, pk = (obj_or_model, pk) if pk is not None else (type(obj_or_model), obj_or_model.pk)
    return (
        Version.objects.get_for_object_reference(model, pk)
        .select_related("revision__user")
        .order_by("-pk")
    )


# Recording.


@contextmanager
def recording(user=None, comment=""):
    """One revision for what is added inside, by `user` (None: "system"), saying `comment`.

    Nothing is added by itself (manage_manually): callers add what they changed with `add()`,
    once, when the object is complete (topics set).
    """
    with reversion.create_revision(manage_manually=True):
        if user is not None and user.is_authenticated:
            reversion.set_user(user)
        reversion.set_comment(comment)
        yield


def set_comment(comment):
    reversion.set_comment(comment)


def add(obj, topics=None):
    """Add `obj` as it is now to the current revision; `topics`, when the caller knows them,
    saves the query that reads them back."""
    if topics is not None:
        # What prefetch_related("topics") would leave: a queryset already evaluated.
        cache = getattr(obj, "_prefetched_objects_cache", {})
        cache.pop("topics", None)
        known = Topic.objects.filter(pk__in=[topic.pk for topic in topics])
        known._result_cache, known._prefetch_done = list(topics), True
        obj._prefetched_objects_cache = {**cache, "topics": known}
    reversion.add_to_revision(obj)


def system_name():
    """ "the command load_demo" when run through manage.py, else "system"."""
    argv = sys.argv
    if len(argv) > 1 and argv[0].endswith("manage.py") and not argv[1].startswith("-"):
        return f"the command {argv[1]}"
    return "system"


def record_update(queryset, changes):
    """Around `QuerySet.update(**changes)` on entries: yields, then records the updated rows
    when a versioned field was set. Inside `recording()` (a bulk action) they join that
    revision; otherwise they are recorded as the system's."""
    versioned = set(changes) & (set(ENTRY_FIELDS) | {"image_id"})
    if not versioned:
        return None
    pks = list(queryset.values_list("pk", flat=True))

    def after():
        if not pks:
            return
        rows = Entry.objects.filter(pk__in=pks).prefetch_related("topics")
        if reversion.is_active():
            for entry in rows:
                add(entry)
            return
        with recording(comment=f"Changed by {system_name()} (a bulk update)"):
            for entry in rows:
                add(entry)

    return after


# Saves made outside the admin (commands, shell, loaddata): recorded once committed.


def _saved_outside_admin(sender, instance, raw=False, **kwargs):
    if reversion.is_active():
        return  # the admin records its own saves
    _schedule(sender, instance.pk, "Imported" if raw else "Changed")


def _topics_changed_outside_admin(sender, instance, action, reverse, **kwargs):
    if reversion.is_active() or not action.startswith("post_"):
        return
    if reverse:  # topic.entries.add(...): the entries are in pk_set
        for pk in kwargs.get("pk_set") or ():
            _schedule(Entry, pk, "Changed")
    else:
        _schedule(Entry, instance.pk, "Changed")


def _schedule(model, pk, verb):
    # Once committed, so the topics set after the save are in the version. A row saved again
    # in the same transaction (its topics set after it was created) is recorded once: the
    # callback reads the row as committed. Django drops the callbacks of what is rolled back.
    pending = transaction.get_connection().run_on_commit
    if not any(_records(callback, model, pk) for _, callback, _ in pending):
        transaction.on_commit(partial(_record_system_change, model, pk, verb))


def _records(callback, model, pk):
    return (
        isinstance(callback, partial)
        and callback.func is _record_system_change
        and callback.args[:2] == (model, pk)
    )


def _record_system_change(model, pk, verb):
    rows = model.objects.filter(pk=pk)
    if model is Entry:
        rows = rows.prefetch_related("topics")
    obj = rows.first()
    if obj is None:
        return
    latest = versions_of(model, pk).first()
    if latest is not None and not changed_fields(latest.field_dict, _current_fields(obj)):
        return  # e.g. a rendition list refreshed: nothing an editor would call a change
    with recording(comment=f"{verb} by {system_name()}"):
        add(obj)


def _current_fields(obj):
    fields = {}
    for name in SHOWN_FIELDS[type(obj)]:
        if name == "topics":
            fields["topics"] = [topic.pk for topic in obj.topics.all()]
        else:
            attname = FIELD_ATTNAMES.get(name, name)
            fields[attname] = getattr(obj, attname)
    return fields


# Reading versions.


def changed_fields(older, newer, model=Entry):
    """The names of the shown fields that differ between two field dicts."""
    changed = []
    for name in SHOWN_FIELDS[model]:
        attname = FIELD_ATTNAMES.get(name, name)
        before, after = older.get(attname), newer.get(attname)
        if name == "topics":
            before, after = sorted(before or []), sorted(after or [])
        if _to_the_second(before) != _to_the_second(after):
            changed.append(name)
    return changed


def _to_the_second(value):
    # The form sends dates to the second: a save that drops a stored microsecond changes nothing.
    return value.replace(microsecond=0) if isinstance(value, datetime) else value


def version_number(version):
    """The entry's edit counter kept in a version ("version 4"); images have none."""
    return version.field_dict.get("version")


def author(version):
    user = version.revision.user
    return user.get_username() if user else "system"


# What happened, in the desk's words.


def describe_save(entry, was_status, was_pub_date, created):
    """The comment for an admin save: the publishing step it took, or "Edited"."""
    published = Entry.Status.PUBLISHED
    if entry.status == published and (created or was_status != published):
        if entry.publication_state == Entry.State.SCHEDULED:
            return f"Scheduled for {editor_datetime(entry.pub_date)}"
        return "Published"
    if entry.status != published and was_status == published:
        return "Unpublished"
    if created:
        return "Created as a draft"
    if entry.status == published and _to_the_second(was_pub_date) != _to_the_second(entry.pub_date):
        if entry.publication_state == Entry.State.SCHEDULED:
            return f"Rescheduled for {editor_datetime(entry.pub_date)}"
        return f"Publication date changed to {editor_datetime(entry.pub_date)}"
    return "Edited"


# Restoring and recovering.


class RestoreError(Exception):
    """A restore or recovery that cannot be done as asked; nothing was changed."""


RESTORED_CONTENT = ("headline", "slug", "summary", "body", "image_id", "planned_date")


def restore(entry_pk, version, user, with_status=False):
    """Bring back `version`'s text, photo and topics as a new version of the entry. Its status
    and publication date stay as they are unless `with_status`."""
    data = version.field_dict
    with recording(user, f"Restored version {version_number(version)}"):
        entry = Entry.objects.select_for_update().get(pk=entry_pk)
        for attname in RESTORED_CONTENT:
            setattr(entry, attname, data.get(attname))
        _check_free(entry)
        if entry.image_id and not Image.objects.filter(pk=entry.image_id).exists():
            raise RestoreError("That version's photo has been deleted since.")
        if with_status:
            was_published = entry.status == Entry.Status.PUBLISHED
            entry.status, entry.pub_date = data["status"], data["pub_date"]
            entry.pub_date_chosen = data.get("pub_date_chosen", True)
            if entry.status == Entry.Status.PUBLISHED and not was_published:
                entry.mark_published()
        entry.version += 1
        entry.save()
        topics = list(Topic.objects.filter(pk__in=data.get("topics") or ()))
        entry.topics.set(topics)
        add(entry, topics)
    return entry


def deleted_entries():
    """The deleted entries, most recently deleted first, with their last version."""
    from .deletions import DeletedEntry

    return DeletedEntry.objects.select_related("deleted_by", "version__revision")


def _entry_deleted(sender, instance, **kwargs):
    """Before an entry is deleted: a last version of it as it is (whatever wrote it), and a
    row in the deleted-entries list pointing at it."""
    from .deletions import DeletedEntry

    user = reversion.get_user() if reversion.is_active() else None
    if user is not None and not user.is_authenticated:
        user = None
    revision = Revision.objects.create(
        date_created=timezone.now(),
        user=user,
        comment="Deleted" if user else f"Deleted by {system_name()}",
    )
    version = Version.objects.create(
        revision=revision,
        content_type=ContentType.objects.get_for_model(Entry),
        object_id=str(instance.pk),
        db=instance._state.db or "default",
        format="json",
        serialized_data=serializers.serialize("json", [instance], fields=ENTRY_FIELDS),
        object_repr=str(instance),
    )
    DeletedEntry.objects.update_or_create(
        entry_id=instance.pk,
        defaults={"headline": instance.headline, "deleted_by": user, "version": version},
    )


def recover(deleted, user, may_publish):
    """Insert a deleted entry again under its old id, with its topics and photo. Without
    `may_publish` it comes back as a draft. Returns (entry, notes) where notes say what could
    not come back (a photo or topic deleted since)."""
    version = deleted.version
    data = version.field_dict
    pk = deleted.entry_id
    notes = []
    if Entry.objects.filter(pk=pk).exists():
        raise RestoreError("This entry is not deleted: it is already back.")
    with recording(user, "Recovered after deletion"):
        entry = Entry(pk=pk, **{attname: data.get(attname) for attname in RESTORED_CONTENT})
        _check_free(entry)
        if entry.image_id and not Image.objects.filter(pk=entry.image_id).exists():
            entry.image_id = None
            notes.append("its photo was deleted since, so it has none")
        entry.status = data["status"] if may_publish else Entry.Status.DRAFT
        entry.pub_date = data["pub_date"]
        entry.pub_date_chosen = data.get("pub_date_chosen", True)
        entry.version = (data.get("version") or 0) + 1
        entry.save(force_insert=True)
        topics = list(Topic.objects.filter(pk__in=data.get("topics") or ()))
        if len(topics) < len(data.get("topics") or ()):
            notes.append("some of its topics were deleted since")
        entry.topics.set(topics)
        add(entry, topics)
        deleted.delete()
    return entry, notes


def _check_free(entry):
    taken = (
        Entry.objects.filter(language=entry.language, slug=entry.slug).exclude(pk=entry.pk).first()
    )
    if taken is not None:
        raise RestoreError(
            f"Another entry, “{taken.headline}”, now has the address “{entry.slug}”: change "
            "its slug first."
        )

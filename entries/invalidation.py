"""Every content change tells the caches which pages it changes (`newsroom.cache.invalidate`),
with the keys of entries.cache_keys.

Signals cover the admin, the shell and `loaddata`; bulk writes that send none
(`QuerySet.update`, `bulk_create`, `bulk_update`) call `bulk_change` / `created_in_bulk`
from `entries.models.ContentQuerySet`. The state before a change is read in `pre_save` /
`pre_delete`, the state after from the saved instance, so a change is compared field by field.
"""

from contextlib import contextmanager

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from newsroom.cache import invalidate

from . import cache_keys as keys
from .models import Entry, Image, Rendition, Topic

# Above this many rows, a bulk change drops every page instead of working out each row's keys.
BULK_LIMIT = 50


def apply(*changes):
    """Send the changes: hard ones (takedowns) apart from the others."""
    hard = frozenset().union(*(change.keys for change in changes if change.hard))
    soft = frozenset().union(*(change.keys for change in changes if not change.hard)) - hard
    if hard:
        invalidate(hard, hard=True)
    if soft or not hard:
        invalidate(soft)  # even with no keys: the page cache follows the schedule of entries


# Entries.


def entry_pre_save(sender, instance, raw=False, **kwargs):
    instance._cache_state_before = (
        keys.entry_states([instance.pk]).get(instance.pk) if instance.pk is not None else None
    )


def entry_post_save(sender, instance, **kwargs):
    before = getattr(instance, "_cache_state_before", None)
    topics = before.topics if before else ()
    apply(keys.entry_change(before, keys.entry_state(instance, topics)))


def entry_pre_delete(sender, instance, **kwargs):
    apply(keys.entry_change(keys.entry_states([instance.pk]).get(instance.pk), None))


def entry_topics_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action == "pre_clear":
        # `post_clear` no longer knows what was there.
        if reverse:
            instance._cache_cleared = set(instance.entries.values_list("pk", flat=True))
        else:
            instance._cache_cleared = set(instance.topics.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    changed = getattr(instance, "_cache_cleared", set()) if action == "post_clear" else pk_set
    if not changed:
        return
    if reverse:  # topic.entries.add(...): one topic, several entries
        entry_ids, topic_ids = changed, {instance.pk}
    else:
        entry_ids, topic_ids = {instance.pk}, changed
    if len(entry_ids) > BULK_LIMIT:
        return apply(keys.everything(hard=False))
    states = keys.entry_states(entry_ids)
    apply(*(keys.entry_topics_change(state, topic_ids) for state in states.values()))


# Images, renditions, topics.


def image_pre_save(sender, instance, **kwargs):
    instance._cache_state_before = (
        keys.image_states([instance.pk]).get(instance.pk) if instance.pk is not None else None
    )


def image_post_save(sender, instance, **kwargs):
    before = getattr(instance, "_cache_state_before", None)
    apply(keys.image_change(instance.pk, before, keys.image_state(instance)))


def image_post_delete(sender, instance, **kwargs):
    apply(keys.image_change(instance.pk, keys.image_state(instance), None))


def rendition_post_save(sender, instance, **kwargs):
    apply(keys.rendition_change(instance.image_id, deleted=False))


def rendition_post_delete(sender, instance, **kwargs):
    apply(keys.rendition_change(instance.image_id, deleted=True))


def topic_pre_save(sender, instance, **kwargs):
    instance._cache_state_before = (
        keys.topic_states([instance.pk]).get(instance.pk) if instance.pk is not None else None
    )


def topic_post_save(sender, instance, **kwargs):
    before = getattr(instance, "_cache_state_before", None)
    apply(keys.topic_change(instance.pk, before, keys.topic_state(instance)))


def topic_post_delete(sender, instance, **kwargs):
    apply(keys.topic_change(instance.pk, keys.topic_state(instance), None))


# Bulk writes (entries.models.ContentQuerySet).

# Fields whose bulk change may take something down: such changes are hard when over the limit.
TAKEDOWN_FIELDS = {
    Entry: {"status", "pub_date", "slug", "image", "image_id"},
    Image: {"file"},
    Topic: {"slug"},
    Rendition: {"file", "image", "image_id"},
}
# The state of each row of a model, by primary key, and the change between two states.
STATES = {
    Entry: keys.entry_states,
    Image: keys.image_states,
    Topic: keys.topic_states,
}


@contextmanager
def bulk_change(model, pks, fields):
    """Around a bulk write of `fields` on the rows `pks` (a queryset or list)."""
    fields = set(fields)
    if model is Entry and fields <= {"search_vector"}:
        yield  # the search index only: search results may change, nothing else
        return apply(keys.Change(frozenset({keys.SEARCH})))
    if model is Rendition:
        image_ids = set(
            Rendition.objects.filter(pk__in=list(pks)).values_list("image_id", flat=True)
        )
        yield
        return apply(*(keys.rendition_change(pk, deleted=False) for pk in image_ids))
    pks = list(pks[: BULK_LIMIT + 1]) if hasattr(pks, "query") else list(pks)
    if len(pks) > BULK_LIMIT:
        yield
        return apply(keys.everything(hard=bool(fields & TAKEDOWN_FIELDS[model])))
    states = STATES[model]
    before = states(pks)
    yield
    after = states(pks)
    apply(*(_row_change(model, pk, before.get(pk), after.get(pk)) for pk in pks))


def created_in_bulk(model, objs):
    pks = [obj.pk for obj in objs]
    if None in pks or len(pks) > BULK_LIMIT:  # ids not returned by the database, or many
        return apply(keys.everything(hard=False))
    if model is Rendition:
        return apply(*(keys.rendition_change(obj.image_id, deleted=False) for obj in objs))
    after = STATES[model](pks)
    apply(*(_row_change(model, pk, None, after.get(pk)) for pk in pks))


def _row_change(model, pk, before, after):
    if model is Entry:
        return keys.entry_change(before, after)
    if model is Image:
        return keys.image_change(pk, before, after)
    return keys.topic_change(pk, before, after)


def connect():
    receivers = [
        (pre_save, entry_pre_save, Entry),
        (post_save, entry_post_save, Entry),
        (pre_delete, entry_pre_delete, Entry),
        (m2m_changed, entry_topics_changed, Entry.topics.through),
        (pre_save, image_pre_save, Image),
        (post_save, image_post_save, Image),
        (post_delete, image_post_delete, Image),
        (post_save, rendition_post_save, Rendition),
        (post_delete, rendition_post_delete, Rendition),
        (pre_save, topic_pre_save, Topic),
        (post_save, topic_post_save, Topic),
        (post_delete, topic_post_delete, Topic),
    ]
    for signal, receiver, sender in receivers:
        signal.connect(receiver, sender=sender, dispatch_uid=f"cache-{receiver.__name__}")

"""Everything stored about entries, images and topics, field by field, to compare copies."""

import hashlib
import json

from django.core.files.storage import default_storage

from entries.models import Entry, Image, Topic
from newsroom.storage import stored_names

MODELS = [Topic, Image, Entry]


def rows(model):
    """Every concrete field (by attname, values as repr so times keep microseconds and zone)
    plus the many-to-many links, ordered by primary key."""
    result = []
    for obj in model.objects.order_by("pk"):
        row = {f.attname: repr(getattr(obj, f.attname)) for f in model._meta.concrete_fields}
        for m2m in model._meta.many_to_many:
            row[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
        result.append(row)
    return result


def database():
    return {model._meta.label: rows(model) for model in MODELS}


def media_files():
    """Name -> sha256 of every stored media file (under MEDIA_ROOT, or in the bucket)."""
    return {
        name: hashlib.sha256(default_storage.open(name, "rb").read()).hexdigest()
        for name in stored_names(default_storage)
    }


def print_snapshot():
    """For subprocesses: `manage.py shell -c 'from tests.snapshot import print_snapshot; ...'`."""
    print(json.dumps({"database": database(), "media": media_files()}, sort_keys=True))

"""Everything stored about entries, images and topics, field by field, to compare copies."""

import hashlib
import json
from pathlib import Path

from django.conf import settings

from entries.models import Entry, Image, Topic

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
    """Relative path -> sha256 of every file under MEDIA_ROOT."""
    root = Path(settings.MEDIA_ROOT)
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def print_snapshot():
    """For subprocesses: `manage.py shell -c 'from tests.snapshot import print_snapshot; ...'`."""
    print(json.dumps({"database": database(), "media": media_files()}, sort_keys=True))

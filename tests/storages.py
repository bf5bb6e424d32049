"""Storages that count every call made to them, for "renders with zero storage calls" tests."""

from newsroom.s3storage import MediaS3Storage
from newsroom.storage import MediaFileSystemStorage

COUNTED = [
    "open",
    "save",
    "delete",
    "exists",
    "size",
    "url",
    "path",
    "listdir",
    "get_accessed_time",
    "get_created_time",
    "get_modified_time",
    "get_available_name",
    "generate_filename",
]

calls = []  # (method name, first argument) of every call since the last `calls.clear()`


def _counted(name, method):
    def counted(self, *args, **kwargs):
        calls.append((name, args[0] if args else None))
        return method(self, *args, **kwargs)

    return counted


def _counting(storage_class):
    methods = {name: _counted(name, getattr(storage_class, name)) for name in COUNTED}
    return type(f"Counting{storage_class.__name__}", (storage_class,), methods)


CountingFileSystemStorage = _counting(MediaFileSystemStorage)
CountingS3Storage = _counting(MediaS3Storage)

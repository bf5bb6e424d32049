"""Where uploaded media lives: the local disk (the default) or an S3-compatible bucket.

`MEDIA_STORAGE=filesystem|s3` (newsroom/settings.py) picks one of the two storages below; the
rest of the project only sees Django's default storage and `media_url()`.

Both storages give every file a name nobody can guess or collide with: FileField uploads go
under a random 128-bit folder (`images/2026/12/<32 hex>/photo.jpg`), so a photo of an entry
that is not public yet cannot be found by trying names, and a save never asks the storage
whether a name is taken (no `exists()` round trip per save on a bucket). The file's own base
name is kept, so what readers see stays the uploaded name.

Pages build media URLs from the stored name and `MEDIA_URL` (the bucket's or CDN's public base
URL on S3) by string work alone: rendering never calls the storage, let alone the network.
"""

import os
import posixpath
import secrets
from functools import lru_cache
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.utils.encoding import filepath_to_uri

TOKEN_BYTES = 16


def media_url(name):
    """The public URL of a stored file, from its name and MEDIA_URL only (no storage call)."""
    return settings.MEDIA_URL + _uri_path(name)


@lru_cache(maxsize=4096)
def _uri_path(name):
    # A listing page asks for 60 of these (each photo and its renditions): quoting each name
    # again was a fifth of the cards' work.
    return filepath_to_uri(name).lstrip("/")


class UnguessableNames:
    """FileField names get a random folder: unguessable, and unique without asking."""

    def generate_filename(self, filename):
        folder, base = posixpath.split(super().generate_filename(filename))
        return posixpath.join(folder, secrets.token_hex(TOKEN_BYTES), base)


class MediaFileSystemStorage(UnguessableNames, FileSystemStorage):
    """MEDIA_ROOT on the local disk."""


def stored_names(storage):
    """The name of every file in a storage, sorted: a bucket is listed by its keys (1,000 a
    request), a folder walked on disk."""
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:  # django-storages' S3Storage
        prefix = f"{storage.location.strip('/')}/" if storage.location.strip("/") else ""
        return sorted(obj.key[len(prefix) :] for obj in bucket.objects.filter(Prefix=prefix))
    root = Path(storage.location)
    if not root.is_dir():
        return []
    return sorted(
        str(Path(folder, file).relative_to(root).as_posix())
        for folder, _dirs, files in os.walk(root)
        for file in files
    )


def write_exactly(storage, name, content):
    """Store `content` under exactly `name` (a restore or a move), replacing a file there."""
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or ".." in parts or "\\" in name:
        raise SuspiciousFileOperation(f"refusing to write outside the media storage: {name!r}")
    if isinstance(storage, FileSystemStorage) and storage.exists(name):
        storage.delete(name)  # the disk would pick another name rather than overwrite
    saved = storage.save(name, content)
    if saved != name:
        raise SuspiciousFileOperation(f"{name!r} was stored as {saved!r}")
    return saved

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

import posixpath
import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.encoding import filepath_to_uri

TOKEN_BYTES = 16


def media_url(name):
    """The public URL of a stored file, from its name and MEDIA_URL only (no storage call)."""
    return settings.MEDIA_URL + filepath_to_uri(name).lstrip("/")


class UnguessableNames:
    """FileField names get a random folder: unguessable, and unique without asking."""

    def generate_filename(self, filename):
        folder, base = posixpath.split(super().generate_filename(filename))
        return posixpath.join(folder, secrets.token_hex(TOKEN_BYTES), base)


class MediaFileSystemStorage(UnguessableNames, FileSystemStorage):
    """MEDIA_ROOT on the local disk."""

"""Static files hashed and compressed by whitenoise, with the manifest kept out of them.

The manifest (`staticfiles.json`, every source name and its hashed name) is what Django reads
to build static URLs; nothing public needs it, and whitenoise or a proxy would serve whatever
lies in STATIC_ROOT. It is written to STATIC_MANIFEST_ROOT instead (by default the folder
beside STATIC_ROOT named `<STATIC_ROOT>-manifest`).
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "manifest_storage", FileSystemStorage(location=settings.STATIC_MANIFEST_ROOT)
        )
        super().__init__(*args, **kwargs)

"""Copy an existing site's media from the local disk into the bucket, verifying every object.

Run with MEDIA_STORAGE=s3 and the bucket's settings (the destination), and MEDIA_ROOT (or
--from) naming the folder the site used so far:

    MEDIA_STORAGE=s3 AWS_STORAGE_BUCKET_NAME=... python manage.py move_media_to_bucket

Every file under the folder is uploaded under the same name (so no row changes), with the
storage's Cache-Control and content type and its SHA-256 in the object's metadata, then read
back and compared. Resumable: an object already in the bucket with the same size and
SHA-256 is skipped, so an interrupted run is simply started again. Nothing is deleted from
the disk. At the end, every file an image or rendition row names must be in the bucket.
"""

import hashlib
import mimetypes

from botocore.exceptions import ClientError
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management.base import BaseCommand, CommandError

from entries.models import Image, Rendition
from newsroom.storage import stored_names

SHA_KEY = "sha256"


class Command(BaseCommand):
    help = (
        "Copy every media file from MEDIA_ROOT (or --from) into the bucket of MEDIA_STORAGE=s3 "
        "under the same name, verifying each object; skips objects already copied."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="source", help="The media folder. Default: MEDIA_ROOT.")
        parser.add_argument(
            "--recheck",
            action="store_true",
            help="Read back and compare objects that are already in the bucket too.",
        )

    def handle(self, *args, source, recheck, **options):
        bucket = getattr(default_storage, "bucket", None)
        if settings.MEDIA_STORAGE != "s3" or bucket is None:
            raise CommandError("Set MEDIA_STORAGE=s3 and the bucket's settings first.")
        disk = FileSystemStorage(location=source or settings.MEDIA_ROOT)
        names = stored_names(disk)
        copied = skipped = 0
        bad = []
        for number, name in enumerate(names, 1):
            data = disk.open(name, "rb").read()
            digest = hashlib.sha256(data).hexdigest()
            obj = bucket.Object(default_storage._normalize_name(name))
            if not recheck and self.already_there(obj, len(data), digest):
                skipped += 1
            else:
                obj.put(
                    Body=data,
                    ContentType=mimetypes.guess_type(name)[0] or "application/octet-stream",
                    Metadata={SHA_KEY: digest},
                    **default_storage.get_object_parameters(name),
                )
                if hashlib.sha256(obj.get()["Body"].read()).hexdigest() != digest:
                    bad.append(name)
                    continue
                copied += 1
            if number % 500 == 0:
                self.stdout.write(f"{number} of {len(names)} files...")

        in_bucket = set(stored_names(default_storage))
        referenced = set(Image.objects.exclude(file="").values_list("file", flat=True))
        referenced |= set(Rendition.objects.values_list("file", flat=True))
        missing = sorted(referenced - in_bucket)
        self.stdout.write(
            f"{len(names)} files: {copied} copied and verified, {skipped} already in the bucket."
        )
        if bad:
            raise CommandError(f"{len(bad)} objects differ after upload (run again): {bad[:10]}")
        if missing:
            raise CommandError(
                f"{len(missing)} files named by the database are in neither place: {missing[:10]}"
            )
        self.stdout.write(self.style.SUCCESS("Every file the database names is in the bucket."))

    def already_there(self, obj, size, digest):
        try:
            obj.load()  # HEAD
        except ClientError:  # 404: not there yet
            return False
        return obj.content_length == size and obj.metadata.get(SHA_KEY) == digest

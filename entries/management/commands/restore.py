import tarfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from entries.body import sync_body_images
from newsroom.storage import write_exactly

SUFFIXES = (".media.tar.gz", ".json")


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: the database content is replaced by the "
        "dump, and the media archive beside it is written into the media storage (MEDIA_ROOT or "
        "the bucket; files with other names are kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", help="backups/newsroom-<time>.json (or its .media.tar.gz, same backup)"
        )

    def handle(self, *args, file, **options):
        path = Path(file)
        stem = next((path.name[: -len(s)] for s in SUFFIXES if path.name.endswith(s)), None)
        if stem is None:
            raise CommandError(f"{file} is not a backup (expected a name ending in .json).")
        dump = path.with_name(stem + ".json")
        media = path.with_name(stem + ".media.tar.gz")
        if not dump.is_file():
            raise CommandError(f"No database dump at {dump}.")

        call_command("migrate", interactive=False, verbosity=0)
        # One transaction: if the dump cannot be loaded, the current content stays.
        with transaction.atomic():
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(dump), verbosity=0)
            sync_body_images()  # inline photo uses of dumps made before they were kept
        self.stdout.write(f"Database restored from {dump}.")

        if media.is_file():
            restored = 0
            with tarfile.open(media) as archive:
                for member in archive:
                    if not member.isfile():
                        continue  # folders come with the files; links are never restored
                    with archive.extractfile(member) as handle:
                        write_exactly(default_storage, member.name, File(handle))
                    restored += 1
            self.stdout.write(f"{restored} media files restored from {media} into {where()}.")
        else:
            self.stdout.write(f"No media archive at {media}; media files left as they are.")


def where():
    bucket = getattr(settings, "AWS_STORAGE_BUCKET_NAME", "")
    return f"bucket {bucket}" if settings.MEDIA_STORAGE == "s3" else str(settings.MEDIA_ROOT)

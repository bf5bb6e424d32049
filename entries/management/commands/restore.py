import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from entries.body import sync_body_images

SUFFIXES = (".media.tar.gz", ".json")


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: the database content is replaced by the "
        "dump, and the media archive beside it is unpacked into MEDIA_ROOT."
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
            media_root = Path(settings.MEDIA_ROOT)
            media_root.mkdir(parents=True, exist_ok=True)
            with tarfile.open(media) as archive:
                # The "data" filter refuses absolute paths, "..", links out of MEDIA_ROOT.
                archive.extractall(media_root, filter="data")
            self.stdout.write(f"Media restored from {media} into {media_root}.")
        else:
            self.stdout.write(f"No media archive at {media}; media files left as they are.")

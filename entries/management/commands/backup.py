import os
import tarfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

# Not backed up: rows that migrate re-creates (content types, permissions) and short-lived
# security state (sessions, login attempts and lockouts).
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "axes"]


# A backup holds password hashes and every unpublished draft: its owner alone may read it.
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700


def private_file(path):
    """`path` created empty for writing, readable by its owner only whatever the umask."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")


def backup_paths(directory, stamp):
    """The database dump and the media archive of one backup, named by its UTC time."""
    directory = Path(directory)
    return directory / f"newsroom-{stamp}.json", directory / f"newsroom-{stamp}.media.tar.gz"


class Command(BaseCommand):
    help = (
        "Back up the whole database (a dumpdata snapshot, loadable into SQLite or PostgreSQL) "
        "and the media files into BACKUP_DIR, both named by the time: "
        "newsroom-<YYYYmmdd-HHMMSS>.json and newsroom-<YYYYmmdd-HHMMSS>.media.tar.gz."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir", default=settings.BACKUP_DIR, help="Default: BACKUP_DIR."
        )

    def handle(self, *args, output_dir, **options):
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        dump, media = backup_paths(output_dir, stamp)
        if dump.exists() or media.exists():
            raise CommandError(f"A backup named {dump.name} already exists; try again.")
        dump.parent.mkdir(parents=True, exist_ok=True)
        dump.parent.chmod(DIRECTORY_MODE)

        # Written under a temporary name and renamed when complete, so a backup that was
        # interrupted never looks like a good one.
        partial = dump.with_name(dump.name + ".partial")
        partial.unlink(missing_ok=True)  # left by an interrupted run
        private_file(partial).close()  # dumpdata writes into it, keeping its mode
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # One snapshot for every table: rows committed while the dump runs are not
                # half-included. (SQLite's transaction already reads one snapshot.)
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            # JSON with exact times (settings.SERIALIZATION_MODULES): restores are identical.
            call_command(
                "dumpdata",
                format="json",
                natural_foreign=True,
                exclude=EXCLUDED,
                output=str(partial),
                verbosity=0,
            )
        partial.rename(dump)

        # After the database: every file the dump refers to is already on disk.
        partial = media.with_name(media.name + ".partial")
        media_root = Path(settings.MEDIA_ROOT)
        partial.unlink(missing_ok=True)
        with private_file(partial) as out, tarfile.open(fileobj=out, mode="w:gz") as archive:
            if media_root.is_dir():
                for child in sorted(media_root.iterdir()):
                    archive.add(child, arcname=child.name)
        partial.rename(media)

        self.stdout.write(f"Database: {dump}\nMedia:    {media}")

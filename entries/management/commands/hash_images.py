"""Hash the files of images stored before hashes were kept (the image-health duplicates)."""

from django.core.management.base import BaseCommand

from entries.image_health import hash_missing


class Command(BaseCommand):
    help = "Compute the SHA-256 of every image file that has none yet."

    def handle(self, **options):
        done = hash_missing()
        self.stdout.write(f"Hashed {done} image file{'s' * (done != 1)}.")

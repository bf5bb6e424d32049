from django.core.management.base import BaseCommand

from entries.renditions import make_missing_renditions


class Command(BaseCommand):
    help = "Make the responsive renditions (WebP and JPEG) that any image is missing."

    def handle(self, *args, **options):
        made = make_missing_renditions()
        self.stdout.write(self.style.SUCCESS(f"{made} renditions made."))

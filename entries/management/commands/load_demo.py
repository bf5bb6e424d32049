from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from entries.body import sync_body_images
from entries.demo import FIXTURE, ensure_demo_files, load_translations
from entries.models import Entry


class Command(BaseCommand):
    help = (
        "Load the demo content: 181 published entries in one topic, each with a real JPEG, "
        "and French versions of 24 of them. "
        "Running it again updates the same rows and files; it never duplicates them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already holds entries (used by `make run`).",
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Entry.objects.exists():
            self.stdout.write("Entries already present: demo content not loaded.")
            return
        written = ensure_demo_files()
        with transaction.atomic():
            call_command("loaddata", FIXTURE, verbosity=0)
            french = load_translations()
            sync_body_images()  # the demo bodies' inline photos count as used
        count = Entry.objects.published().in_language("en").count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo content loaded: {count} published entries in English, {french} in "
                f"French, {written} photos written."
            )
        )
        # Renditions take ~0.2 s a photo, too slow to make here; pages show the originals
        # until `make_renditions` has run (`make run` and `make demo` run it next).
        self.stdout.write("Run `manage.py make_renditions` to make the responsive renditions.")

from django.apps import AppConfig


class EntriesConfig(AppConfig):
    name = "entries"
    verbose_name = "Newsroom"

    def ready(self):
        from django.conf import settings
        from PIL import Image as PILImage

        # Connect the receivers: image files follow the transaction; renditions are made.
        from . import renditions, signals  # noqa: F401

        # Pillow refuses images over this many pixels wherever the app opens one.
        PILImage.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS

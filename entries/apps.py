from django.apps import AppConfig


class EntriesConfig(AppConfig):
    name = "entries"
    verbose_name = "Newsroom"

    def ready(self):
        from django.conf import settings
        from PIL import Image as PILImage

        from newsroom.content_version import watch_schedule

        # Connect the receivers: image files follow the transaction; renditions are queued.
        from . import invalidation, renditions, signals, tasks  # noqa: F401

        # Any content change drops the page cache's content version (newsroom/cache.py), and
        # the version is replaced when the next scheduled entry goes public.
        invalidation.connect()
        watch_schedule(self.get_model("Entry").objects.next_publication_time)

        # Pillow refuses images over this many pixels wherever the app opens one.
        PILImage.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS

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

        # Bodies are cleaned on every save (raw ones too) and their inline photos counted.
        from django.db.models.signals import post_save, pre_save

        from . import body, search
        from .models import Entry

        pre_save.connect(body.clean_on_save, sender=Entry, dispatch_uid="entry-body-clean")
        post_save.connect(body.follow_body, sender=Entry, dispatch_uid="entry-body-follow")
        search.connect()

        # Languages added to the settings get their search configuration on `migrate`.
        from django.db.models.signals import post_migrate

        from . import search_configs

        post_migrate.connect(
            search_configs.on_post_migrate, sender=self, dispatch_uid="entries-search-configs"
        )

        # Every change to an entry or an image's text is kept as a version.
        from . import history

        history.register()

        # Uploaded files are hashed, so the image-health page finds the same file twice.
        from . import image_health

        image_health.connect()

        # Pillow refuses images over this many pixels wherever the app opens one.
        PILImage.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS

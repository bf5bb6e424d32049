from django.apps import AppConfig


class EntriesConfig(AppConfig):
    name = "entries"
    verbose_name = "Newsroom"

    def ready(self):
        # Connects the signal receivers that make image renditions.
        from . import renditions  # noqa: F401

from django.apps import AppConfig


class EntriesConfig(AppConfig):
    name = "entries"
    verbose_name = "Newsroom"

    def ready(self):
        from . import signals

        signals.connect()

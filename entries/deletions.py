"""Deleted entries, kept recoverable: a row per deleted entry pointing at its last version.

Reversion can find deleted objects itself (`Version.objects.get_deleted`), but only by scanning
every version of the model: about a second at 1,000,000 versions. This small table answers the
deleted-entries list from an index, and names who deleted what and when.
"""

from django.conf import settings
from django.db import models
from reversion.models import Version


class DeletedEntry(models.Model):
    entry_id = models.BigIntegerField(unique=True)
    headline = models.CharField(max_length=300)
    deleted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The entry as it was when deleted (pruning never removes an object's newest version).
    version = models.ForeignKey(Version, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["-deleted_at", "-pk"]
        verbose_name_plural = "deleted entries"

    def __str__(self):
        return self.headline

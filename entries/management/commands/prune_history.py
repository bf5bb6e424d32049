"""Keep the history from growing without bound: `prune_history --keep 20 --older-than 365`."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from reversion.models import Revision, Version

from entries.models import DeletedEntry

BATCH = 5_000


class Command(BaseCommand):
    help = (
        "Delete old versions of entries and images: each keeps at least its newest --keep "
        "versions, and no version newer than --older-than days is deleted. The newest version "
        "of a deleted entry counts like any other, so deleted entries stay recoverable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep", type=int, required=True, help="versions kept per object")
        parser.add_argument(
            "--older-than", type=int, required=True, dest="days", help="age in days"
        )
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, keep, days, dry_run, **options):
        if keep < 1:
            raise CommandError("--keep must be at least 1: the newest version is the entry.")
        if days < 0:
            raise CommandError("--older-than must be 0 or more days.")
        cutoff = timezone.now() - timedelta(days=days)
        ranked = Version.objects.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("content_type_id"), F("object_id")],
                order_by=F("pk").desc(),
            )
        )
        # The rank is taken over all of an object's versions, then the age is checked: a
        # filter beside the window would rank only the old ones.
        beyond_keep = ranked.filter(rank__gt=keep).values("pk")
        doomed = (
            Version.objects.filter(pk__in=beyond_keep, revision__date_created__lt=cutoff)
            .exclude(pk__in=DeletedEntry.objects.values("version"))  # still recoverable
            .values_list("pk", flat=True)
        )
        if dry_run:
            count = len(doomed)
            self.stdout.write(f"Would delete {count} version{'s' * (count != 1)}.")
            return
        deleted = 0
        while True:
            pks = list(doomed[:BATCH])
            if not pks:
                break
            with transaction.atomic():
                deleted += Version.objects.filter(pk__in=pks).delete()[0]
        empty = Revision.objects.filter(~Exists(Version.objects.filter(revision=OuterRef("pk"))))
        revisions = empty.delete()[0]
        self.stdout.write(
            f"Deleted {deleted} version{'s' * (deleted != 1)} and {revisions} empty "
            f"revision{'s' * (revisions != 1)}."
        )

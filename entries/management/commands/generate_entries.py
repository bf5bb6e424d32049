import io
import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image as PILImage

from entries import search
from entries.models import Entry, Image, Topic

WORDS = (
    "council commission parliament member states trade agreement talks summit ministers "
    "budget energy climate security border policy reform market union partners vote "
    "negotiation delegation report proposal strategy cooperation funding region"
).split()
IMAGES = 12  # generated entries share a few real photos
TOPICS = 8
BATCH = 5000


def sentence(rng, words):
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


class Command(BaseCommand):
    help = (
        "Bulk-create N synthetic published entries (for scale tests and the benchmark): "
        "older than every existing entry, sharing a few real photos, spread over a few topics."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="how many entries to add")
        parser.add_argument("--seed", type=int, default=1, help="random seed (repeatable text)")

    def handle(self, *args, count, seed, **options):
        if count < 1:
            raise CommandError("count must be at least 1")
        rng = random.Random(seed)
        # A pool of sentences to draw from: making fresh text per entry would cost most of the time.
        headlines = [sentence(rng, 8)[:-1] for _ in range(1000)]
        summaries = [sentence(rng, 30) for _ in range(1000)]
        paragraphs = [sentence(rng, 60) for _ in range(1000)]
        images = self.images()
        topics = [
            Topic.objects.get_or_create(
                slug=f"generated-{n}", defaults={"name": f"Generated topic {n}"}
            )[0]
            for n in range(1, TOPICS + 1)
        ]
        vectors = None
        if connection.vendor == "postgresql":
            vectors = search.VectorPool()
            vectors.add("headline", "A", dict(enumerate(headlines)))
            vectors.add("summary", "B", dict(enumerate(summaries)))
            vectors.add("caption", "C", {image.pk: image.caption for image in images})
            vectors.add("paragraph", "D", dict(enumerate(paragraphs)))
        oldest = Entry.objects.order_by("pub_date").values_list("pub_date", flat=True).first()
        start = (oldest or timezone.now()) - timedelta(hours=1)
        first_number = Entry.objects.count() + 1
        through = Entry.topics.through
        made = 0
        while made < count:
            size = min(BATCH, count - made)
            # The search trigger would parse each entry's texts (most of the time on
            # PostgreSQL); instead each pooled text was parsed once above, and the batch's
            # vectors are joined from those in one UPDATE, in the same transaction.
            with transaction.atomic(), search.deferred_vectors():
                entries, parts = [], []
                for i in range(made, made + size):
                    n = first_number + i
                    h, s = rng.randrange(len(headlines)), rng.randrange(len(summaries))
                    chosen = rng.sample(range(len(paragraphs)), 4)
                    image = images[i % len(images)]
                    entries.append(
                        Entry(
                            headline=headlines[h],
                            slug=f"generated-entry-{n}-{seed}",
                            summary=summaries[s],
                            body="\n\n".join(paragraphs[p] for p in chosen),
                            status=Entry.Status.PUBLISHED,
                            pub_date=start - timedelta(hours=3 * i),
                            image=image,
                        )
                    )
                    parts.append(
                        [("headline", h), ("summary", s), ("caption", image.pk)]
                        + [("paragraph", p) for p in chosen]
                    )
                created = Entry.objects.bulk_create(entries)
                if vectors:
                    vectors.fill(
                        (entry.pk, entry_parts)
                        for entry, entry_parts in zip(created, parts, strict=True)
                    )
                through.objects.bulk_create(
                    through(entry_id=entry.pk, topic_id=topics[j % TOPICS].pk)
                    for j, entry in enumerate(created, start=made)
                )
            made += size
            self.stdout.write(f"{made}/{count}")
        # Fresh statistics, or the planner keeps plans made for an almost empty table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"Created {count} entries."))

    def images(self):
        found = list(Image.objects.filter(caption__startswith="Generated photo")[:IMAGES])
        for n in range(len(found), IMAGES):
            buffer = io.BytesIO()
            PILImage.new("RGB", (640, 427), (40 + 15 * n, 90, 160)).save(buffer, "JPEG")
            found.append(
                Image.objects.create(
                    file=ContentFile(buffer.getvalue(), name=f"generated-{n + 1}.jpg"),
                    caption=f"Generated photo {n + 1}",
                    alt_text=f"A plain coloured placeholder photo, number {n + 1}",
                )
            )
        return found

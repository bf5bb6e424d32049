import io
import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from PIL import Image as PILImage

from entries import search
from entries.cache_keys import SITE
from entries.models import Entry, Image, Topic
from newsroom.cache import invalidate
from newsroom.i18n import default_language, language_codes

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
        "older than every existing entry, sharing a few real photos, spread over a few topics, "
        "all in one language (--language, the default language by default)."
    )

    def add_arguments(self, parser):
        parser.add_argument("count", type=int, help="how many entries to add")
        parser.add_argument("--seed", type=int, default=1, help="random seed (repeatable text)")
        parser.add_argument(
            "--language",
            default=None,
            help="the entries' language, one of LANGUAGES (default: the default language); "
            "each is a story of its own, with no translations",
        )

    def handle(self, *args, count, seed, language, **options):
        if count < 1:
            raise CommandError("count must be at least 1")
        language = language or default_language()
        if language not in language_codes():
            raise CommandError(
                f"unknown language {language!r}: one of {', '.join(language_codes())}"
            )
        self.language = language
        rng = random.Random(seed)
        # A pool of sentences to draw from: making fresh text per entry would cost most of the time.
        headlines = [sentence(rng, 8)[:-1] for _ in range(1000)]
        summaries = [sentence(rng, 30) for _ in range(1000)]
        paragraphs = [sentence(rng, 60) for _ in range(1000)]
        images = self.images()
        topics = [
            Topic.objects.get_or_create(
                language=language, slug=f"generated-{n}", defaults={"name": f"Generated topic {n}"}
            )[0]
            for n in range(1, TOPICS + 1)
        ]
        pool = None
        if connection.vendor == "postgresql":
            # The search trigger would parse every entry's texts (most of the time): each
            # pooled text is parsed once instead, and rows are built from the pool in SQL.
            pool = search.VectorPool(language)
            pool.add("headline", "A", dict(enumerate(headlines)))
            pool.add("summary", "B", dict(enumerate(summaries)))
            pool.add("caption", "C", {image.pk: image.caption for image in images})
            pool.add("paragraph", "D", dict(enumerate(paragraphs)))
            pool.add_words()  # the words of suggestions ("did you mean"), from the pool's texts
        oldest = Entry.objects.order_by("pub_date").values_list("pub_date", flat=True).first()
        start = (oldest or timezone.now()) - timedelta(hours=1)
        first_number = Entry.objects.in_language(language).count() + 1
        through = Entry.topics.through
        made = 0
        while made < count:
            size = min(BATCH, count - made)
            with transaction.atomic():
                rows = []
                for i in range(made, made + size):
                    rows.append(
                        (
                            f"generated-entry-{first_number + i}-{seed}",
                            start - timedelta(hours=3 * i),
                            images[i % len(images)],
                            rng.randrange(len(headlines)),
                            rng.randrange(len(summaries)),
                            rng.sample(range(len(paragraphs)), 4),
                        )
                    )
                if pool:
                    ids = self.insert_pooled(pool, rows)
                else:
                    created = Entry.objects.bulk_create(
                        Entry(
                            headline=headlines[h],
                            slug=slug,
                            summary=summaries[s],
                            body="\n\n".join(paragraphs[p] for p in chosen),
                            status=Entry.Status.PUBLISHED,
                            pub_date=pub_date,
                            image=image,
                            language=language,
                        )
                        for slug, pub_date, image, h, s, chosen in rows
                    )
                    ids = [entry.pk for entry in created]
                through.objects.bulk_create(
                    through(entry_id=entry_id, topic_id=topics[j % TOPICS].pk)
                    for j, entry_id in enumerate(ids, start=made)
                )
            made += size
            self.stdout.write(f"{made}/{count}")
        # Fresh statistics, or the planner keeps plans made for an almost empty table.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(f"Created {count} entries."))

    def insert_pooled(self, pool, rows):
        """Inserts `rows` (slug, pub_date, image, headline number, summary number, paragraph
        numbers) with texts and vectors taken from `pool`, in one statement; returns the new
        ids in the order of `rows`. Only numbers cross the wire, and the trigger is deferred
        (the vector is written with the row, once)."""
        table = pool.TABLE
        joins = [
            f"JOIN {table} h ON h.part = 'headline' AND h.n = m.h",
            f"JOIN {table} s ON s.part = 'summary' AND s.n = m.s",
            f"JOIN {table} c ON c.part = 'caption' AND c.n = m.image_id",
        ] + [f"JOIN {table} p{k} ON p{k}.part = 'paragraph' AND p{k}.n = m.p{k}" for k in range(4)]
        body = " || E'\\n\\n' || ".join(f"p{k}.t" for k in range(4))
        vector = " || ".join(["h.v", "s.v", "c.v"] + [f"p{k}.v" for k in range(4)])
        # entries.translations.content_digest(headline, summary, body), computed in SQL: each
        # part's UTF-8 bytes followed by a NUL byte, SHA-256, in hex.
        nul = "'\\x00'::bytea"
        digest = " || ".join(
            f"convert_to({part}, 'UTF8') || {nul}" for part in ("h.t", "s.t", f"({body})")
        )
        sql = (
            "INSERT INTO entries_entry (headline, slug, pub_date, summary, body, status, "
            "image_id, version, created, updated, search_vector, language, translation_key, "
            "content_digest, source_digest) "
            f"SELECT h.t, m.slug, m.pub_date, s.t, {body}, %s, m.image_id, 1, now(), now(), "
            f"{vector}, %s, gen_random_uuid(), encode(sha256({digest}), 'hex'), '' "
            "FROM unnest(%s::text[], %s::timestamptz[], %s::bigint[], %s::bigint[], "
            "%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[]) "
            "AS m(slug, pub_date, image_id, h, s, p0, p1, p2, p3) "
            + " ".join(joins)
            + " RETURNING slug, id"
        )
        params = [
            Entry.Status.PUBLISHED.value,
            self.language,
            [row[0] for row in rows],
            [row[1] for row in rows],
            [row[2].pk for row in rows],
            [row[3] for row in rows],
            [row[4] for row in rows],
            *([row[5][k] for row in rows] for k in range(4)),
        ]
        with search.deferred_vectors(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = dict(cursor.fetchall())
        invalidate({SITE})  # raw SQL sends no signals: every page may have changed
        return [ids[row[0]] for row in rows]

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

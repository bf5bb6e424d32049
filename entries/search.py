"""Text search over entries: the one place that knows which database is underneath.

PostgreSQL: full-text search with ranking. `Entry.search_vector` is a stored tsvector filled
by a trigger from the headline (weight A), summary (B), image caption (C) and body (D), with a
GIN index, so a query never runs `to_tsvector` over the rows. Because the database fills it,
every way of writing rows (save, bulk updates, loaddata, raw SQL) keeps it current; a second
trigger refreshes the entries of an image whose caption changes.

SQLite (local runs, the first test pass): every word must appear, case-insensitively, in one
of the same four fields; headline matches first, then newest.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils.html import escape, format_html, format_html_join

CONFIG = "english"

INSTALL_SQL = f"""
CREATE OR REPLACE FUNCTION entries_entry_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('{CONFIG}', coalesce(NEW.headline, '')), 'A') ||
        setweight(to_tsvector('{CONFIG}', coalesce(NEW.summary, '')), 'B') ||
        setweight(to_tsvector('{CONFIG}', coalesce(
            (SELECT caption FROM entries_image WHERE id = NEW.image_id), '')), 'C') ||
        setweight(to_tsvector('{CONFIG}', coalesce(NEW.body, '')), 'D');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER entries_entry_search_vector
    BEFORE INSERT OR UPDATE OF headline, summary, body, image_id ON entries_entry
    FOR EACH ROW EXECUTE FUNCTION entries_entry_search_vector();

CREATE OR REPLACE FUNCTION entries_image_caption_changed() RETURNS trigger AS $$
BEGIN
    IF NEW.caption IS DISTINCT FROM OLD.caption THEN
        -- Touching image_id fires the entry trigger above for each entry using this image.
        UPDATE entries_entry SET image_id = image_id WHERE image_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER entries_image_caption_changed
    AFTER UPDATE OF caption ON entries_image
    FOR EACH ROW EXECUTE FUNCTION entries_image_caption_changed();

CREATE INDEX entries_entry_search_vector_gin ON entries_entry USING gin (search_vector);

UPDATE entries_entry SET image_id = image_id;
"""

UNINSTALL_SQL = """
DROP INDEX IF EXISTS entries_entry_search_vector_gin;
DROP TRIGGER IF EXISTS entries_image_caption_changed ON entries_image;
DROP FUNCTION IF EXISTS entries_image_caption_changed();
DROP TRIGGER IF EXISTS entries_entry_search_vector ON entries_entry;
DROP FUNCTION IF EXISTS entries_entry_search_vector();
"""


def install(apps, schema_editor):
    """Migration step: the triggers and index, on PostgreSQL only (a no-op elsewhere)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL_SQL)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL_SQL)


WORD = re.compile(r"\w+")


def words(query):
    """The query's words, lower-cased, without repeats: what matches and what is highlighted."""
    return list(dict.fromkeys(w.lower() for w in WORD.findall(query)))


def search(queryset, query):
    """`queryset` narrowed to entries matching `query`, best match first."""
    if connection.vendor == "postgresql":
        search_query = SearchQuery(query, config=CONFIG, search_type="websearch")
        return (
            queryset.filter(search_vector=search_query)
            .annotate(rank=SearchRank(F("search_vector"), search_query))
            .order_by("-rank", "-pub_date", "-pk")
        )
    terms = words(query)
    if not terms:
        return queryset.none()
    in_headline = Q()
    for term in terms:
        queryset = queryset.filter(
            Q(headline__icontains=term)
            | Q(summary__icontains=term)
            | Q(body__icontains=term)
            | Q(image__caption__icontains=term)
        )
        in_headline &= Q(headline__icontains=term)
    return queryset.annotate(
        rank=Case(When(in_headline, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("-rank", "-pub_date", "-pk")


def _stem(word):
    """A rough English stem, so `meetings` also highlights `meeting` as PostgreSQL matches it."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def highlight_pattern(query):
    """A regex matching whole words that start with a stem of one of the query's words."""
    stems = sorted({_stem(w) for w in words(query)}, key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"\b(?:" + "|".join(map(re.escape, stems)) + r")\w*", re.IGNORECASE)


def highlight(text, pattern):
    """`text` escaped, with the words `pattern` matches wrapped in <mark>."""
    if pattern is None:
        return escape(text)
    pieces, position = [], 0
    for match in pattern.finditer(text):
        pieces.append((text[position : match.start()], match.group()))
        position = match.end()
    tail = escape(text[position:])
    return format_html("{}{}", format_html_join("", "{}<mark>{}</mark>", pieces), tail)

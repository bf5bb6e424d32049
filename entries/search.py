"""Text search over entries: the one place that knows which database is underneath.

PostgreSQL: full-text search with ranking. `Entry.search_vector` is a stored tsvector filled
by a trigger from the headline (weight A), summary (B), image caption (C) and body (D), with a
GIN index, so a query never runs `to_tsvector` over the rows. Because the database fills it,
every way of writing rows (save, bulk updates, loaddata, raw SQL) keeps it current; a second
trigger refreshes the entries of an image whose caption changes.

SQLite (local runs, the first test pass): every word must appear, case-insensitively, in one
of the same four fields (the body's text, not its HTML); headline matches first, then
newest.
"""

import re
from contextlib import contextmanager

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.backends.signals import connection_created
from django.db.models import Case, F, Func, IntegerField, Q, TextField, Value, When
from django.utils import translation

from . import richtext, search_configs

# The configuration of migrations 0004-0010, before languages: English for every row.
ENGLISH = "'english'"

# The body's text without its markup (bodies are HTML, see entries.richtext): tags become
# spaces and the entities the sanitiser writes become their characters, so `strong` or `href`
# match only where a reader sees them. The SQLite search uses richtext.text() itself.
BODY_TEXT_SQL = (
    "replace(replace(replace(replace(replace(replace("
    "regexp_replace(coalesce({body}, ''), '<[^>]*>', ' ', 'g'), "
    "'&quot;', '\"'), '&#x27;', ''''), '&lt;', '<'), '&gt;', '>'), '&nbsp;', ' '), "
    "'&amp;', '&')"
)

CAPTION_SQL = "(SELECT caption FROM entries_image WHERE id = {row}.image_id)"


def vector_sql(row, config):
    """The vector of the entry row `row` with the configuration `config` (an SQL expression):
    the trigger's formula and the bulk fill's (one place)."""
    caption = CAPTION_SQL.format(row=row)
    body = BODY_TEXT_SQL.format(body=f"{row}.body")
    return f"""
    setweight(to_tsvector({config}, coalesce({row}.headline, '')), 'A') ||
    setweight(to_tsvector({config}, coalesce({row}.summary, '')), 'B') ||
    setweight(to_tsvector({config}, coalesce({caption}, '')), 'C') ||
    setweight(to_tsvector({config}, {body}), 'D')
"""


def words_sql(row):
    """The row's text, whose words go to the word list suggestions come from."""
    caption = CAPTION_SQL.format(row=row)
    body = BODY_TEXT_SQL.format(body=f"{row}.body")
    return f"concat_ws(' ', {row}.headline, {row}.summary, {caption}, {body})"


# Bulk writers (generate_entries) set this for their transaction only (SET LOCAL) and fill the
# vectors of their rows in one statement afterwards: see deferred_vectors().
DEFER_SETTING = "newsroom.defer_search_vector"

# Before languages: what migrations 0004-0010 install, and 0011 restores when reversed.
FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION entries_entry_search_vector() RETURNS trigger AS $$
BEGIN
    IF current_setting('{DEFER_SETTING}', true) = 'on' THEN
        RETURN NEW;
    END IF;
    NEW.search_vector := {vector_sql("NEW", ENGLISH)};
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""

# Since 0011: each row with its language's configuration (one the table lacks: "simple"), and
# its words added to the word list.
LANGUAGE_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION entries_entry_search_vector() RETURNS trigger AS $$
DECLARE
    config regconfig;
BEGIN
    IF current_setting('{DEFER_SETTING}', true) = 'on' THEN
        RETURN NEW;
    END IF;
    config := coalesce(
        (SELECT c.config::regconfig FROM {search_configs.CONFIG_TABLE} c
         WHERE c.language = NEW.language),
        'simple'::regconfig
    );
    NEW.search_vector := {vector_sql("NEW", "config")};
    PERFORM entries_search_words_add(NEW.language, {words_sql("NEW")});
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
"""

# A language change recomputes the vector too (since 0011).
ENTRY_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS entries_entry_search_vector ON entries_entry;
CREATE TRIGGER entries_entry_search_vector
    BEFORE INSERT OR UPDATE OF {columns} ON entries_entry
    FOR EACH ROW EXECUTE FUNCTION entries_entry_search_vector();
"""
COLUMNS = "headline, summary, body, image_id"
LANGUAGE_COLUMNS = "headline, summary, body, image_id, language"

INSTALL_SQL = (
    FUNCTION_SQL
    + ENTRY_TRIGGER_SQL.format(columns=COLUMNS)
    + """
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
)

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


def install_deferral(apps, schema_editor):
    """Migration step: the trigger function learns to skip rows of a deferring transaction."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION_SQL)


def install_languages(apps, schema_editor):
    """Migration step (0011): the per-language configurations, the word list and the trigger
    choosing each row's configuration; every vector recomputed (and every word listed)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        search_configs.install(cursor)
        cursor.execute(LANGUAGE_FUNCTION_SQL)
        cursor.execute(ENTRY_TRIGGER_SQL.format(columns=LANGUAGE_COLUMNS))
        cursor.execute("UPDATE entries_entry SET image_id = image_id")


def uninstall_languages(apps, schema_editor):
    """Back to the English-only trigger of 0004-0010, every vector recomputed with it."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(FUNCTION_SQL)
        cursor.execute(ENTRY_TRIGGER_SQL.format(columns=COLUMNS))
        search_configs.uninstall(cursor)
        cursor.execute("UPDATE entries_entry SET image_id = image_id")


def refresh_vectors(apps, schema_editor):
    """Migration step: every stored vector recomputed with the current formula."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("UPDATE entries_entry SET image_id = image_id")


SQLITE_BODY_TEXT = "entries_body_text"


def _register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_BODY_TEXT, 1, lambda body: richtext.text(body or ""), deterministic=True
        )


def connect():
    """SQLite connections learn `entries_body_text(body)` (called from EntriesConfig.ready)."""
    connection_created.connect(_register_sqlite_functions, dispatch_uid="entries-sqlite-text")


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNINSTALL_SQL)


@contextmanager
def deferred_vectors():
    """For bulk inserts that bring their own vectors (or fill them with `fill_vectors`): inside
    this block, which must be in a transaction, the trigger leaves rows alone.

    A per-row trigger call parsing every text costs more than the rest of a bulk insert; a
    writer whose rows share texts (generate_entries) parses each text once instead.
    """
    if connection.vendor != "postgresql":
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("deferred_vectors() needs a transaction (the setting is SET LOCAL)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [DEFER_SETTING])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'off', true)", [DEFER_SETTING])


class VectorPool:
    """Texts many rows share, each parsed into its weighted vector once (PostgreSQL), for bulk
    writers whose rows are built from a pool of texts (generate_entries) and who defer the
    trigger: a temporary table of (part, n, text t, vector v).

    A row's vector is then its parts' vectors joined with `||` in the trigger's field order
    (headline A, summary B, caption C, body D): the vector the trigger would store, as long
    as a body made of several texts joined by blank lines has none ending in a stop word
    (positions carry on from the last word of the text before): true of generated text,
    checked by a test.
    """

    TABLE = "entries_vector_pool"

    def __init__(self, language=None):
        self.language = language or settings.LANGUAGE_CODE
        self.config = search_configs.config_name(self.language)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.TABLE}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.TABLE} "
                "(part text, n bigint, t text, v tsvector NOT NULL, PRIMARY KEY (part, n))"
            )

    def add(self, part, weight, texts):
        """Parses `texts` ({number: text}) as `part` with `weight`, in one statement."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {self.TABLE} "
                "SELECT %s, n, t, setweight(to_tsvector(%s::regconfig, t), %s) "
                "FROM unnest(%s::bigint[], %s::text[]) AS u(n, t)",
                [part, self.config, weight, list(texts), list(texts.values())],
            )

    def add_words(self):
        """The pool's words into the word list of suggestions (the deferred trigger adds none)."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT entries_search_words_add(%s, t) FROM {self.TABLE}", [self.language]
            )


# How many of the newest matches a PostgreSQL search ranks (and lists) at most.
RANKED = 500

WORD = re.compile(r"\w+")


def result_cap():
    """How many matches a search lists at most on this database (None: no bound)."""
    return RANKED if connection.vendor == "postgresql" else None


def words(query):
    """The query's words, lower-cased, without repeats: what matches and what is highlighted."""
    return list(dict.fromkeys(w.lower() for w in WORD.findall(query)))


def query_config(language=None):
    """The configuration of a query on a page in `language` (by default the active one's)."""
    return search_configs.config_name(language or translation.get_language())


def search_filter(queryset, query, language=None):
    """PostgreSQL: `queryset` narrowed to the entries `query` matches, unranked."""
    config = query_config(language)
    return queryset.filter(search_vector=SearchQuery(query, config=config, search_type="websearch"))


def search(queryset, query):
    """`queryset` narrowed to entries matching `query`, best match first."""
    if connection.vendor == "postgresql":
        search_query = SearchQuery(query, config=query_config(), search_type="websearch")
        # Ranking reads and scores every match's vector before the first page can be cut: for
        # a word in half the archive that is 50,000 vectors. So only the newest RANKED matches
        # are candidates (found through the listing's date index, or the GIN index when the
        # word is rare), and those are ranked. Queries matching fewer are ranked in full; for
        # more, older matches are reached by narrowing (year, topic, more words): the filters
        # apply before this bound (EntryFilter.filter_queryset). See docs/performance.md.
        candidates = (
            queryset.filter(search_vector=search_query)
            .order_by("-pub_date", "-pk")
            .values("pk")[:RANKED]
        )
        return (
            queryset.filter(pk__in=candidates)
            .annotate(rank=SearchRank(F("search_vector"), search_query))
            .order_by("-rank", "-pub_date", "-pk")
        )
    terms = words(query)
    return search_words(queryset, terms) if terms else queryset.none()


def search_words(queryset, terms):
    """SQLite: the entries containing every one of `terms`, headline matches first."""
    in_headline = Q()
    # The body's text, not its markup; computed only for rows whose HTML contains the word.
    queryset = queryset.alias(
        body_words=Func(F("body"), function=SQLITE_BODY_TEXT, output_field=TextField())
    )
    for term in terms:
        queryset = queryset.filter(
            Q(headline__icontains=term)
            | Q(summary__icontains=term)
            | (Q(body__icontains=term) & Q(body_words__icontains=term))
            | Q(image__caption__icontains=term)
        )
        in_headline &= Q(headline__icontains=term)
    return queryset.annotate(
        rank=Case(When(in_headline, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("-rank", "-pub_date", "-pk")

"""Which PostgreSQL text search configuration each language is searched with, kept in the
database so the search trigger can pick a row's own (entries.search).

Every language of settings.LANGUAGES gets a configuration of ours, `newsroom_<code>`: a copy of
the one SEARCH_CONFIGS names for it ("french"; "simple" when it names none) that passes words
through `unaccent` before the stemmer, so accents are optional on both sides (`securite` finds
`sécurité`). The table `entries_search_config` maps each language to its configuration; the
trigger reads it for every row it indexes, and a language it lacks is indexed with "simple".

Migration 0011 makes the tables and the configurations of the languages of that day; `sync()`
runs after every `migrate` (post_migrate) and makes those of languages added to the settings
since, or remakes one whose source changed, recomputing that language's vectors. Nothing is
done when everything is in place, so it is cheap to run on every deploy.
"""

import re

from django.conf import settings
from django.db import connections

CONFIG_TABLE = "entries_search_config"
WORD_TABLE = "entries_search_word"
# The archive's own words, as written (lower-cased, accents kept): what a suggestion offers.
WORDS_CONFIG = "newsroom_words"
PREFIX = "newsroom_"
# The token types that are words; their dictionaries get unaccent in front.
WORD_TOKENS = ("asciiword", "word", "hword_asciipart", "hword_part", "asciihword", "hword")

TABLES_SQL = f"""
-- Both are "trusted" extensions: the database's owner may create them (PostgreSQL 13+).
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE {CONFIG_TABLE} (
    language text PRIMARY KEY,
    -- The configuration's name, not a regconfig: pg_upgrade refuses user columns of reg* types.
    config text NOT NULL,
    source text NOT NULL
);
-- No unique constraint on purpose: it would make two transactions adding the same new word
-- wait on each other (or deadlock). A race leaves a duplicate row, which readers ignore.
CREATE TABLE {WORD_TABLE} (
    language text NOT NULL,
    word text NOT NULL,
    plain text NOT NULL
);
CREATE INDEX {WORD_TABLE}_lookup ON {WORD_TABLE} (language, word);
CREATE INDEX {WORD_TABLE}_trgm ON {WORD_TABLE} USING gin (plain gin_trgm_ops);

CREATE TEXT SEARCH CONFIGURATION {WORDS_CONFIG} (PARSER = default);
ALTER TEXT SEARCH CONFIGURATION {WORDS_CONFIG}
    ADD MAPPING FOR asciiword, word, hword_asciipart, hword_part WITH simple;

CREATE OR REPLACE FUNCTION entries_search_words_add(lang text, body text) RETURNS void AS $$
    INSERT INTO {WORD_TABLE} (language, word, plain)
    SELECT DISTINCT lang, w, unaccent(w)
    FROM unnest(tsvector_to_array(to_tsvector('{WORDS_CONFIG}', body))) AS w
    WHERE length(w) BETWEEN 3 AND 40 AND w !~ '[0-9_]'
        AND NOT EXISTS (SELECT 1 FROM {WORD_TABLE} s WHERE s.language = lang AND s.word = w)
$$ LANGUAGE sql;
"""

DROP_TABLES_SQL = f"""
DROP FUNCTION IF EXISTS entries_search_words_add(text, text);
DROP TABLE IF EXISTS {WORD_TABLE};
DROP TABLE IF EXISTS {CONFIG_TABLE};
DROP TEXT SEARCH CONFIGURATION IF EXISTS {WORDS_CONFIG};
"""


def config_name(language):
    """Our configuration for `language`: `newsroom_fr` (what queries on its pages use)."""
    return PREFIX + re.sub(r"[^a-z0-9]", "_", language.lower())


def source_config(language):
    """The PostgreSQL configuration `language`'s is a copy of."""
    return getattr(settings, "SEARCH_CONFIGS", {}).get(language, "simple")


def wanted():
    """{language: (configuration, source)} for the languages of the settings."""
    return {code: (config_name(code), source_config(code)) for code, _ in settings.LANGUAGES}


def _create_config(cursor, name, source):
    """`name`, a copy of `source` whose word dictionaries read unaccented words."""
    cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
    cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = {_quote(source)})")
    # Each word token type keeps the source's dictionaries, with unaccent in front (a filtering
    # dictionary: it hands the unaccented word on to the stemmer).
    cursor.execute(
        "SELECT t.alias, array_agg(d.dictname::text ORDER BY m.mapseqno) "
        "FROM pg_ts_config_map m "
        "JOIN ts_token_type('default') t ON t.tokid = m.maptokentype "
        "JOIN pg_ts_dict d ON d.oid = m.mapdict "
        "WHERE m.mapcfg = %s::regconfig AND t.alias = ANY(%s) GROUP BY t.alias",
        [source, list(WORD_TOKENS)],
    )
    for token, dictionaries in cursor.fetchall():
        chain = ", ".join(["unaccent", *(_quote_ident(d) for d in dictionaries)])
        cursor.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR {token} WITH {chain}"
        )


def _quote(name):
    # A configuration name from the settings ("french", "pg_catalog.french"), as an identifier.
    return ".".join(_quote_ident(part) for part in name.split("."))


def _quote_ident(name):
    return '"' + name.replace('"', '""') + '"'


def install(cursor):
    """Migration step: the tables, the words function and each settings language's
    configuration (the caller then recomputes every vector)."""
    cursor.execute(TABLES_SQL)
    for language, (name, source) in wanted().items():
        _create_config(cursor, name, source)
        cursor.execute(
            f"INSERT INTO {CONFIG_TABLE} (language, config, source) VALUES (%s, %s, %s)",
            [language, name, source],
        )


def uninstall(cursor):
    cursor.execute(f"SELECT config FROM {CONFIG_TABLE}")
    names = [row[0] for row in cursor.fetchall()]
    cursor.execute(DROP_TABLES_SQL)
    for name in names:
        cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")


def sync(using="default"):
    """Makes the configuration of every settings language that has none yet or whose source
    changed, and recomputes the vectors of that language's entries. Returns the languages
    (re)made. A no-op where the tables do not exist (SQLite, before migration 0011)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return []
    made = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [CONFIG_TABLE])
        if not cursor.fetchone()[0]:
            return []
        cursor.execute(f"SELECT language, config, source FROM {CONFIG_TABLE}")
        have = {language: (config, source) for language, config, source in cursor.fetchall()}
        pattern = PREFIX.replace("_", r"\_") + "%"
        cursor.execute("SELECT cfgname FROM pg_ts_config WHERE cfgname LIKE %s", [pattern])
        existing = {row[0] for row in cursor.fetchall()}
        for language, (name, source) in wanted().items():
            if have.get(language) == (name, source) and name in existing:
                continue
            _create_config(cursor, name, source)
            cursor.execute(
                f"INSERT INTO {CONFIG_TABLE} (language, config, source) VALUES (%s, %s, %s) "
                "ON CONFLICT (language) DO UPDATE SET config = EXCLUDED.config, "
                "source = EXCLUDED.source",
                [language, name, source],
            )
            # The trigger recomputes each row's vector (and adds its words).
            cursor.execute(
                "UPDATE entries_entry SET image_id = image_id WHERE language = %s", [language]
            )
            made.append(language)
    return made


def on_post_migrate(sender, using="default", **kwargs):
    sync(using)

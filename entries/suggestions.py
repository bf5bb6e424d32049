""" "Did you mean ...?": a close spelling, from the archive's own words, for a search that found
nothing (issue 13).

PostgreSQL: the search trigger adds the words of every entry it indexes to a word list per
language (entries.search_configs: `entries_search_word`, the words as written, lower-cased,
with an unaccented copy under a trigram index, pg_trgm). A failed search asks it, in one query,
for the nearest words of each unknown query word: an index walk (a few milliseconds at 100,000
entries), never a scan of the entries. The list only grows (a word whose entries were deleted or
unpublished stays; so do words of drafts), so every suggestion is checked against the published
entries of the page's language before it is offered, in one more query: a suggestion always
finds something, and never reveals a word only drafts contain.

SQLite: difflib over the words of the newest entries' headlines and summaries (a bounded list),
checked the same way.
"""

import difflib

from django.db import connection
from django.utils import translation

from . import search
from .search_configs import WORD_TABLE

# Longer queries get no suggestion: each word is one more lookup, and such queries are rarely
# a typing slip.
MAX_WORDS = 6
# How many spellings are tried (the nth nearest word for each unknown word).
TRIED = 3
# SQLite: the words of this many of the newest entries are the list.
SQLITE_ENTRIES = 300
SQLITE_CUTOFF = 0.75


def suggest(query, listing, language=None):
    """A spelling of `query` made of the archive's words that finds entries of `listing` (the
    published entries in the page's language, of its topic if any; no other filter, as the
    suggestion's link keeps none), or None. Only worth asking when `query` found nothing."""
    terms = search.words(query)
    if not terms or len(terms) > MAX_WORDS:
        return None
    if connection.vendor == "postgresql":
        nearest = _nearest_postgresql(terms, language)
    else:
        nearest = _nearest_sqlite(terms, listing)
    return _first_finding(_spellings(terms, nearest), listing, language)


def _spellings(terms, nearest):
    """Up to TRIED spellings: the nth takes each unknown word's nth nearest word (or its last)."""
    spellings = []
    for n in range(TRIED):
        words = []
        for term in terms:
            options = nearest.get(term)
            words.append(options[min(n, len(options) - 1)] if options else term)
        spelling = " ".join(words)
        if spelling not in spellings and words != terms:
            spellings.append(spelling)
    return spellings


def _first_finding(spellings, listing, language):
    """The first of `spellings` that finds an entry of `listing`, in one query."""
    if not spellings:
        return None
    base = listing.order_by()
    if connection.vendor != "postgresql":
        # One check, the nearest spelling (SQLite's search does not combine into one query).
        return spellings[0] if search.search(base, spellings[0]).exists() else None
    # "Is there one?" with LIMIT 1 makes the planner expect an early hit and scan the table
    # (a second at 100,000 entries when only a draft has the word). Each check is a CTE of its
    # own instead, planned for all its rows (through the GIN index for a rare word), and read
    # lazily, so a common word stops at its first row.
    ctes, arms, params = [], [], []
    for n, spelling in enumerate(spellings):
        sql, check_params = (
            search.search_filter(base, spelling, language).values("pk").query.sql_with_params()
        )
        ctes.append(f"c{n} AS MATERIALIZED ({sql})")
        params.extend(check_params)
        arms.append(f"(SELECT {n} FROM c{n} LIMIT 1)")
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(ctes)} {' UNION ALL '.join(arms)}", params)
        found = {row[0] for row in cursor.fetchall()}
    return next((spellings[n] for n in sorted(found)), None)


def _nearest_postgresql(terms, language):
    """{term: [nearest words]} for the terms the word list lacks; known terms are kept."""
    language = language or translation.get_language()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT t.term, near.word
            FROM unnest(%s::text[]) AS t(term)
            CROSS JOIN LATERAL (SELECT unaccent(t.term) AS plain) AS q
            CROSS JOIN LATERAL (
                SELECT w.word, w.plain <-> q.plain AS distance
                FROM {WORD_TABLE} w
                WHERE w.language = %s AND w.plain %% q.plain AND w.plain <> q.plain
                ORDER BY w.plain <-> q.plain, w.word
                LIMIT %s
            ) AS near
            WHERE NOT EXISTS (
                SELECT 1 FROM {WORD_TABLE} k WHERE k.language = %s AND k.word = t.term
            )
            ORDER BY t.term, near.distance, near.word
            """,
            [terms, language, TRIED * 2, language],
        )
        rows = cursor.fetchall()
    nearest = {}
    for term, word in rows:
        if word != term and word not in nearest.setdefault(term, []):
            nearest[term].append(word)
    return {term: words[:TRIED] for term, words in nearest.items() if words}


def _nearest_sqlite(terms, listing):
    texts = listing.order_by("-pub_date", "-pk").values_list("headline", "summary")[:SQLITE_ENTRIES]
    vocabulary = set()
    for headline, summary in texts:
        vocabulary.update(
            word
            for word in search.words(f"{headline} {summary}")
            if len(word) >= 3 and word.isalpha()
        )
    nearest = {}
    for term in terms:
        if term in vocabulary:
            continue
        close = difflib.get_close_matches(term, vocabulary, n=TRIED, cutoff=SQLITE_CUTOFF)
        if close:
            nearest[term] = close
    return nearest

"""Search words marked in a result's text: the query's words as a pattern run over the text
without its accents (`securite` finds `sécurité`), each match wrapped in <mark>."""

import html
import re
import unicodedata
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString

from .search import words


def _stem(word):
    """A rough English stem, so `meetings` also highlights `meeting` as PostgreSQL matches it."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=4096)
def _fold_char(char):
    # The letter without its accents (`é` -> `e`), always one character for one.
    return unicodedata.normalize("NFD", char)[0] if char.isalpha() else char


def fold(text):
    """`text` without accents, character for character (its matches are `text`'s spans): the
    unaccented search finds `sécurité` for `securite`, and highlighting shows it."""
    return text if text.isascii() else _NON_ASCII.sub(_folded_run, text)


# Only the runs of non-ASCII characters are folded one by one: an English summary has a few
# curly quotes, and folding each of its characters was a tenth of an uncached search page.
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _folded_run(match):
    return "".join(map(_fold_char, match.group()))


def highlight_pattern(query):
    """A regex matching whole words that start with a stem of one of the query's words, to be
    run over folded text."""
    stems = sorted({fold(_stem(w)) for w in words(query)}, key=len, reverse=True)
    if not stems:
        return None
    # Without a leading \b the search can skip ahead to a stem's first letter (testing for a
    # word boundary at every position was 2 % of an uncached search page): `highlight` keeps
    # the matches that start a word.
    return re.compile("(?:" + "|".join(map(re.escape, stems)) + r")\w*", re.IGNORECASE)


def _is_word_character(character):
    return character.isalnum() or character == "_"  # what `\w` matches


def highlight(text, pattern):
    """`text` escaped, with the words `pattern` matches (accents aside) wrapped in <mark>."""
    if pattern is None:
        return escape(text)
    # Every piece of `text` is escaped (html.escape is what Django's escape() runs, without
    # its lazy-text wrapper: this runs for each result's summary, format_html cost a tenth of
    # a search page); only the literal <mark> tags join them unescaped.
    pieces, position = [], 0
    folded = fold(text)
    for match in pattern.finditer(folded):
        start, end = match.span()
        if start and _is_word_character(folded[start - 1]):
            continue  # inside a word: `\b` would not have matched (a stem is a whole word)
        before, found = text[position:start], text[start:end]
        pieces += (html.escape(before), "<mark>", html.escape(found), "</mark>")
        position = end
    pieces.append(html.escape(text[position:]))
    return SafeString("".join(pieces))

"""Entry bodies as HTML: the one allowlist, and the text inside the markup.

Every body goes through `clean()` when it is written (model saves, raw saves from loaddata and
restore, `QuerySet.update`, `bulk_create`, `bulk_update`) and again when it is shown
(`entries.body`), so nothing outside the allowlist reaches a page even when a row was written
by raw SQL. The sanitiser is nh3 (Python bindings of the Rust crate ammonia, MIT): it parses
with a real HTML5 parser (html5ever), so broken, nested or entity-encoded markup is read as a
browser would read it before the allowlist is applied.

A body without any HTML tag is plain text (the format before bodies were HTML, and what a
fixture or a script may still write): it becomes paragraphs, as Django's `linebreaks` did.
"""

import html
import re
from functools import lru_cache

import nh3
from django.utils.html import linebreaks

# Paragraphs, h2/h3 subheadings, bold, italic, links, lists, block quotes (a <cite> line says
# who is quoted; a <figure> with a <figcaption> around a quote works too), a rule, tables and
# inline photos (`<figure data-image="<id>"></figure>`, filled in from the image library when
# shown).
TAGS = {
    "p", "br", "h2", "h3", "strong", "em", "b", "i", "a", "ul", "ol", "li", "blockquote",
    "hr", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td", "figure", "cite",
    "figcaption",
}  # fmt: skip
ATTRIBUTES = {
    "*": set(),  # none on every element (nh3 would otherwise keep `lang` and `title`)
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "figure": {"data-image"},
}
# Elements dropped with everything inside them (the others lose their tags, keep their text).
DROPPED_WITH_CONTENT = {
    "script", "style", "template", "iframe", "frame", "frameset", "object", "embed", "applet",
    "svg", "math", "noscript", "noembed", "noframes", "textarea", "select", "title", "xmp",
    "head",
}  # fmt: skip
URL_SCHEMES = {"http", "https", "mailto"}
# Every link: outside addresses are what matters (no window.opener, no referrer sent).
LINK_REL = "noopener noreferrer"

NUMBER = re.compile(r"[0-9]{1,9}")
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _attribute(tag, name, value):
    """Values the allowlist accepts beyond the attribute's name."""
    if name in {"data-image", "start", "colspan", "rowspan"}:
        return value if NUMBER.fullmatch(value) else None
    if name == "scope":
        return value if value in {"row", "col", "rowgroup", "colgroup"} else None
    # No `<` or `>` in any kept value, so in cleaned HTML they only ever delimit tags.
    if name == "href":
        value = value.strip()
        # An address with a scheme (checked against URL_SCHEMES by nh3) or a path on this
        # site; anything else (`www.x.org`, `java script:`) is no link a browser would follow
        # where the editor meant.
        if not (SCHEME.match(value) or value.startswith(("/", "#", "?"))):
            return None
        return value.replace("<", "%3C").replace(">", "%3E")
    return value.replace("<", "").replace(">", "")


_cleaner = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=DROPPED_WITH_CONTENT,
    attributes=ATTRIBUTES,
    attribute_filter=_attribute,
    strip_comments=True,
    link_rel=LINK_REL,
    url_schemes=URL_SCHEMES,
)

HAS_TAG = re.compile(r"<[A-Za-z!/?]")
TEXT_RUN = re.compile(r"(?<=>)[^<]+|^[^<]+")
# A text run holding a straight double quote or a no-break space (rare: most bodies have none).
RUN_TO_FIX = re.compile(r'(?:^|>)[^<]*(?:"|&nbsp;)')
TEXT_ESCAPES = {'"': "&quot;", "&nbsp;": "\u00a0"}
TEXT_ESCAPE = re.compile("|".join(map(re.escape, TEXT_ESCAPES)))


def _fix_run(match):
    return TEXT_ESCAPE.sub(lambda m: TEXT_ESCAPES[m.group()], match.group())


def _escape_like_django(html):
    """html5ever leaves quotes bare in text and writes U+00A0 as &nbsp;; Django's escape()
    does the opposite. Matching it keeps a migrated body byte for byte what `linebreaks`
    showed, and cleaning idempotent. `'` may be an entity anywhere (attribute values too);
    `"` only in text, where `<` and `>` never appear in cleaned HTML."""
    if RUN_TO_FIX.search(html):
        html = TEXT_RUN.sub(_fix_run, html)
    return html.replace("'", "&#x27;")


def from_plain_text(text):
    """Plain text as HTML paragraphs (a blank line starts one), exactly as `linebreaks`."""
    return linebreaks(text, autoescape=True)


def clean(body):
    """`body` reduced to the allowlist: the only HTML a page may show. Idempotent."""
    if not body:
        return ""
    if len(body) <= MEMO_MAX_LENGTH:
        return _clean_remembered(body)
    return _clean(body)


# Every page view and feed cleans the bodies it shows again (a row written by raw SQL is no
# exception) and works out their text: both are pure functions of the body, so the results for
# the bodies shown lately are kept, per process (at most MEMO_SIZE bodies of up to
# MEMO_MAX_LENGTH characters, in and out: a few MB), and a page pays a dictionary lookup instead
# of a parse.
MEMO_SIZE = 256
MEMO_MAX_LENGTH = 64 * 1024


def _clean(body):
    if not HAS_TAG.search(body):
        body = from_plain_text(body)
    return _escape_like_django(_cleaner.clean(body))


BLOCK_END = re.compile(r"<br>|</(?:p|h2|h3|li|blockquote|td|th|caption|figcaption)>|<hr>")
TAG = re.compile(r"<[^>]*>")
SPACES = re.compile(r"\s+")


def text(body):
    """The words of a body without its markup, one space between them: for search, word
    counts and `articleBody`."""
    if body and len(body) <= MEMO_MAX_LENGTH:
        return _text_remembered(body)
    return _text(body)


def _text(body):
    cleaned = BLOCK_END.sub(" ", clean(body))
    return SPACES.sub(" ", html.unescape(TAG.sub("", cleaned))).strip()


_clean_remembered = lru_cache(maxsize=MEMO_SIZE)(_clean)
_text_remembered = lru_cache(maxsize=MEMO_SIZE)(_text)

WORDS_PER_MINUTE = 200


def word_count(body):
    return len(text(body).split())


def minutes_for(words):
    """Minutes to read `words` words at 200 a minute, at least one."""
    return max(1, -(-words // WORDS_PER_MINUTE))


def reading_minutes(body):
    return minutes_for(word_count(body))


PARAGRAPH_BREAK = re.compile(r"</p>\s*<p>")


def to_plain_text(body):
    """The reverse of `from_plain_text` (for the migration back): paragraphs separated by a
    blank line, line breaks kept, every other tag dropped."""
    body = PARAGRAPH_BREAK.sub("\n\n", body.strip())
    body = body.replace("<br>", "\n")
    body = re.sub(r"</(?:h2|h3|li|blockquote|figure|table|tr|ul|ol)>", "\n\n", body)
    return html.unescape(TAG.sub("", body)).strip()

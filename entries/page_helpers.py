"""What the public pages' Jinja2 templates call (entries.templating): addresses, dates, text
filters, metadata. Each gives what the Django template tag or filter it replaced gave."""

import json
import unicodedata
from functools import lru_cache
from urllib.parse import urlencode

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.template import defaultfilters
from django.templatetags.static import static as django_static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.text import add_truncation_text, calculate_truncate_chars_length
from django.utils.timezone import get_current_timezone, localtime, template_localtime
from jinja2 import pass_context

from newsroom.i18n import news_date

from . import body, highlighting, languages

# Characters that could end a <script> element or start a comment inside one, as JSON escapes.
# Replaced one by one (str.replace runs in C; str.translate with a dict calls back per
# character, a twentieth of an uncached entry page with its whole article in the data).
JSON_SCRIPT_ESCAPES = (
    ("<", "\\u003C"),
    (">", "\\u003E"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def url(view_name, *args):
    """`{% url %}`: reverse() once per view, arguments, language and URL configuration."""
    return _reverse(view_name, args, translation.get_language(), get_script_prefix(), get_urlconf())


def url_in(language):
    """`url()` in a language's templates: the language is known, not looked up."""

    def url(view_name, *args):
        return _reverse(view_name, args, language, get_script_prefix(), get_urlconf())

    return url


@lru_cache(maxsize=1024)
def _reverse(view_name, args, language, script_prefix, urlconf):
    with translation.override(language):
        return reverse(view_name, args=args, urlconf=urlconf)


def static(path):
    """`{% static %}`: the file's (hashed) URL, looked up once per path."""
    found = _static_urls.get(path)
    if found is None:
        found = _static_urls[path] = django_static(path)
    return found


_static_urls = {}


@pass_context
def canonical_url(context):
    """This page's absolute address without filters, keeping only a page number past the first."""
    request = context["request"]
    page = context.get("page_obj")
    address = request.build_absolute_uri(request.path)
    if page is not None and page.number > 1:
        address += f"?page={page.number}"
    return address


def absolute_url(address, request):
    """`address` made absolute on this site, unless it already is (photos on a bucket or CDN)."""
    return request.build_absolute_uri(address)


class PageQuery:
    """The current query string with `page` set, so pagination keeps any filter. The other
    parameters are encoded once per page, in the order and form of QueryDict.urlencode() after
    `query["page"] = number` (an existing `page` keeps its place, a new one comes last)."""

    def __init__(self, query):
        before, after = [], []
        parts = before
        for key, values in query.lists():
            if key == "page":
                parts = after
                continue
            name = key.encode(query.encoding)
            parts.extend(urlencode({name: str(value).encode(query.encoding)}) for value in values)
        self.before = "".join(part + "&" for part in before)
        self.after = "".join("&" + part for part in after)

    def url(self, number):
        return f"?{self.before}page={number}{self.after}"


def page_query(query):
    return PageQuery(query)


def with_page(query, number):
    """A pagination link: `query` (a PageQuery) with `page` set to `number`."""
    return query.url(number)


def page_alternates(request):
    """The listing's pages in each language, for a page without its own (entries.languages)."""
    return languages.page_alternates(request)


def x_default(alternates):
    return languages.x_default(alternates)


def og_locale(language):
    """Open Graph's locale for a language code: `fr` -> `fr_FR` (OG_LOCALES)."""
    return settings.OG_LOCALES.get(language) or translation.to_locale(language)


def truncatechars(value, length):
    """Django's `truncatechars`, the same output: text short enough to be kept whole (a summary,
    usually) skips the built-in's walk over every character (a tenth of an uncached entry
    page's Python calls), and so does text without combining characters."""
    text = _truncated(str(value), length)
    return mark_safe(text) if isinstance(value, SafeData) else text


def _truncated(value, length):
    try:
        limit = int(length)
    except ValueError:
        return value
    text = unicodedata.normalize("NFC", value)  # as Truncator.chars() reads it
    if 0 < limit and len(text) <= limit:
        return text
    if 0 < limit and not any(map(unicodedata.combining, text)):
        # Every character counts as one: where Truncator's walk would stop, found at once.
        return add_truncation_text(text[: calculate_truncate_chars_length(limit, None)])
    return defaultfilters.truncatechars(value, length)


def date(value, format=None):
    """Django's `date` filter, in the current time zone as Django's templates show dates."""
    return defaultfilters.date(template_localtime(value), format)


def current_timezone():
    """The active time zone, for a page to read once and hand to `isoformat` and `news_date`:
    each read is a thread-local lookup, and costs most when no zone was activated (the
    default zone is then found by an AttributeError), twice per listing card."""
    return get_current_timezone()


def isoformat(value, zone=None):
    """`date:'c'`: the ISO 8601 form in the current time zone (`zone`, if given)."""
    return localtime(value, zone).isoformat()


def news_date_filter(value, with_time=False, language=None, zone=None):
    """An entry's date in the page language's news style (newsroom.i18n.news_date), in the
    current time zone (`zone`, if given)."""
    if not value:
        return ""
    return news_date(value, with_time=bool(with_time), language=language, zone=zone)


def news_date_in(language):
    """`|news_date` in a language's templates."""

    def news_date(value, with_time=False, zone=None):
        return news_date_filter(value, with_time, language, zone)

    return news_date


def public_line(image):
    """The photo's public line (Image.public_line) in the active language."""
    return image.public_line


def public_line_in(language):
    """`image|public_line` in a language's templates: the photo's public line
    (Image.public_line) in that language, not looked up per photo."""

    def public_line(image):
        return image.public_line_in(language)

    return public_line


def minutes(duration):
    """A timedelta in whole minutes, as `{% widthratio duration.total_seconds 60 1 %}` gave."""
    return str(round(duration.total_seconds() / 60))


def highlight(text, pattern):
    """Text escaped, then the search words in it marked (see `entries.highlighting.highlight`)."""
    return highlighting.highlight(text, pattern)


def json_ld(data):
    """`data` as JSON for a <script type="application/ld+json">: `<`, `>` and `&` are JSON
    escapes, so no text can close the element."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    for character, replacement in JSON_SCRIPT_ESCAPES:
        text = text.replace(character, replacement)
    return SafeString(text)  # escaped just above


def news_article(entry, request):
    """schema.org NewsArticle data for an entry page."""
    absolute = request.build_absolute_uri
    publisher = {"@type": "Organization", "name": "Newsroom", "url": absolute("/")}
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": entry.headline[:110],
        "description": entry.summary,
        "articleBody": entry.body_text,
        "wordCount": entry.word_count,
        "datePublished": entry.pub_date.isoformat(),
        "dateModified": max(entry.updated, entry.pub_date).isoformat(),
        "inLanguage": entry.language,
        "mainEntityOfPage": absolute(entry.get_absolute_url()),
        "url": absolute(entry.get_absolute_url()),
        "author": publisher,
        "publisher": publisher,
    }
    if entry.image:
        data["image"] = [
            absolute(r.url) for r in entry.image.renditions_by_format().get("jpeg", [])
        ] or [absolute(entry.image.url)]
    return data


def entry_body(entry):
    """The entry's body as its page shows it (see `entries.body.render`), without a first
    paragraph that only repeats the summary shown above it."""
    return body.render(entry, skip_summary=True)


GLOBALS = {
    "url": url,
    "static": static,
    "canonical_url": canonical_url,
    "current_timezone": current_timezone,
}
FILTERS = {
    "absolute_url": absolute_url,
    "page_alternates": page_alternates,
    "x_default": x_default,
    "news_article": news_article,
    "entry_body": entry_body,
    "page_query": page_query,
    "with_page": with_page,
    "truncatechars": truncatechars,
    "date": date,
    "isoformat": isoformat,
    "news_date": news_date_filter,
    "public_line": public_line,
    "highlight": highlight,
    "minutes": minutes,
    "og_locale": og_locale,
    "json_ld": json_ld,
    "urlencode": defaultfilters.urlencode,
}

# Settings the cached addresses and compiled translations depend on (tests change them).
CACHED_FROM = {"STATIC_URL", "STORAGES", "LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"}


def forget_on_setting_changes(environment):
    def forget(setting, **kwargs):
        if setting in CACHED_FROM:
            _static_urls.clear()
            _reverse.cache_clear()
            environment.forget_languages()

    setting_changed.connect(forget, weak=False)

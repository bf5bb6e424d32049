import json
import unicodedata

from django import forms, template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template import defaultfilters
from django.template.defaultfilters import stringfilter
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime
from django.utils.translation import get_language

from entries import languages, search
from newsroom.i18n import news_date

register = template.Library()

# The column is at most 46rem wide (44rem of image), below that the viewport less its padding;
# images are never shown wider than themselves.
IMAGE_SIZES = "(min-width: 48rem) min(44rem, {w}px), min(calc(100vw - 2rem), {w}px)"
# Listing cards show the photo as a 10.5rem thumbnail from 48rem on (static/css/site.css).
CARD_SIZES = "(min-width: 48rem) min(10.5rem, {w}px), min(calc(100vw - 2rem), {w}px)"
DEFAULT_WIDTH = 640

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


@register.simple_tag(takes_context=True)
def page_url(context, page_number):
    """The current URL's query string with `page` set, so pagination keeps any filter. The
    query is copied once per rendering, not once per link."""
    query = context.render_context.get("page_url_query")
    if query is None:
        query = context.render_context["page_url_query"] = context["request"].GET.copy()
    query["page"] = page_number
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def canonical_url(context):
    """This page's absolute address without filters, keeping only a page number past the first."""
    request = context["request"]
    page = context.get("page_obj")
    url = request.build_absolute_uri(request.path)
    if page is not None and page.number > 1:
        url += f"?page={page.number}"
    return url


@register.simple_tag(takes_context=True)
def absolute_url(context, url):
    """`url` made absolute on this site, unless it already is (photos on a bucket or CDN)."""
    return context["request"].build_absolute_uri(url)


@register.filter(is_safe=True)
@stringfilter
def truncatechars(value, arg):
    """Django's `truncatechars`, the same output, shadowing it in templates that load this
    library: text short enough to be kept whole (a summary, usually) skips the built-in's walk
    over every character (a tenth of an uncached entry page's Python calls)."""
    try:
        length = int(arg)
    except ValueError:
        return value
    text = unicodedata.normalize("NFC", value)  # as Truncator.chars() reads it
    if 0 < length and len(text) <= length:
        return text
    return defaultfilters.truncatechars(value, arg)


@register.filter
def highlight(text, pattern):
    """Text escaped, then the search words in it marked (see `entries.search.highlight`)."""
    return search.highlight(text, pattern)


def _srcset(renditions):
    return ", ".join(f"{r.url} {r.width}w" for r in renditions)


def card_date(value):
    """`(iso, shown)` for a listing card: the `c` format and the language's news style in the
    current time zone (`09 May. 2024`, `9 mai 2024`)."""
    return localtime(value).isoformat(), news_date(value)


@register.filter(name="news_date")
def news_date_filter(value, with_time=False):
    """An entry's date in the page language's news style (newsroom.i18n.news_date)."""
    return news_date(value, with_time=bool(with_time)) if value else ""


@register.simple_tag(takes_context=True)
def language_alternates(context):
    """This page in each language (entries.languages): the view's list, or the listing's."""
    alternates = context.get("alternates")
    if alternates is None:
        alternates = languages.page_alternates(context.get("request"))
    return alternates


@register.filter
def og_locale(language):
    """Open Graph's locale for a language code: `fr` -> `fr_FR` (OG_LOCALES)."""
    return settings.OG_LOCALES.get(language) or translation.to_locale(language)


@register.simple_tag
def x_default(alternates):
    return languages.x_default(alternates)


@register.simple_tag
def entry_card(entry, lazy=False, highlight=None):
    """One listing card: date, photo (see `picture`) with its public line, headline link and
    summary (search words marked when `highlight` is a pattern). Built here in one go rather
    than from template includes: this runs ten times per listing page, and per-variable
    template work was most of an uncached page's time. format_html escapes every value."""
    iso, shown = card_date(entry.pub_date)
    image = entry.image
    figure = (
        format_html(
            '<figure class="entry-image">\n  {}\n  <figcaption>{}</figcaption>\n</figure>\n',
            picture(image, lazy, CARD_SIZES),
            image.public_line,
        )
        if image
        else ""
    )
    summary = search.highlight(entry.summary, highlight) if highlight else entry.summary
    return format_html(
        '<article class="entry-card">\n'
        '  <p class="entry-date"><time datetime="{}">{}</time></p>\n'
        "  {}\n"
        '  <h2 class="entry-headline"><a href="{}">{}</a></h2>\n'
        '  <p class="entry-summary">{}</p>\n'
        "</article>\n",
        iso,
        shown,
        figure,
        entry.get_absolute_url(),
        entry.headline,
        summary,
    )


@register.simple_tag
def picture(image, lazy=False, sizes=IMAGE_SIZES):
    """<picture> with WebP and JPEG renditions, from rows only: no file is opened or checked.
    Without renditions (not made yet) the original is shown."""
    # Made from these values alone, so the markup of the photos shown lately is kept (every
    # listing card has one; each took a fifth of the card's work to build).
    key = (
        image.file.name,
        repr(image.rendition_sources),
        image.shown_alt_text,  # in the page language
        image.width,
        image.height,
        bool(lazy),
        sizes,
        settings.MEDIA_URL,
    )
    return _picture(key, image, lazy, sizes)


def _picture(key, image, lazy, sizes):
    html = _picture_cache.get(key)
    if html is None:
        html = _build_picture(image, lazy, sizes)
        if len(_picture_cache) >= 1024:  # bounded: photos come and go
            _picture_cache.clear()
        _picture_cache[key] = html
    return html


_picture_cache = {}


def _build_picture(image, lazy, sizes):
    renditions = image.renditions_by_format()
    jpeg, webp = renditions.get("jpeg", []), renditions.get("webp", [])
    loading = mark_safe(' loading="lazy"') if lazy else ""
    if not jpeg:
        return format_html(
            '<img src="{}" alt="{}" width="{}" height="{}"{} decoding="async">',
            image.url,
            image.shown_alt_text,
            image.width,
            image.height,
            loading,
        )
    sizes = sizes.format(w=image.width)
    fallback = next((r for r in reversed(jpeg) if r.width <= DEFAULT_WIDTH), jpeg[0])
    source = (
        format_html('<source type="image/webp" srcset="{}" sizes="{}">', _srcset(webp), sizes)
        if webp
        else ""
    )
    return format_html(
        '<picture>{}<img src="{}" srcset="{}" sizes="{}" alt="{}" width="{}" height="{}"{} '
        'decoding="async"></picture>',
        source,
        fallback.url,
        _srcset(jpeg),
        sizes,
        image.shown_alt_text,
        image.width,
        image.height,
        loading,
    )


FILTER_FIELD_HTML = (
    '\n      <div class="filter-field{}">\n        {}\n        {}\n        {}\n      </div>\n'
)
# Rendered filter fields by everything they show (see `filter_fields`); bounded.
_filter_fields_html = {}


def _render_filter_fields(form):
    return format_html_join(
        "",
        FILTER_FIELD_HTML,
        (
            (
                " filter-field--wide" if field.name == "q" else "",
                field.label_tag(),
                field,
                field.errors,
            )
            for field in form
        ),
    )


@register.simple_tag
def filter_fields(form):
    """The listing filter's fields, each with its label and errors. Django renders every label
    and widget (and each <option>) through a template; for a valid form the result depends only
    on the fields' values and choices, so it is rendered once per combination of those and then
    reused. Never stale: the topics are read (one query, as before) to make the key."""
    if form.errors:
        return _render_filter_fields(form)
    # django-filter makes a new form class per request: the key names what the HTML shows.
    key = [get_language(), type(form).__qualname__, form.prefix, form.auto_id, form.label_suffix]
    for name, field in form.fields.items():
        widget = field.widget
        key.append((name, type(field), type(widget), field.label, repr(widget.attrs)))
        if isinstance(field, forms.ChoiceField):
            # Read once (the form is validated already), as plain pairs: the key and the
            # widget use the same list.
            choices = [(str(value), str(label)) for value, label in field.choices]
            widget.choices = choices
            key.append(tuple(choices))
        key.append((name, repr(form[name].value())))
    key = tuple(key)
    html = _filter_fields_html.get(key)
    if html is None:
        html = _render_filter_fields(form)
        if len(_filter_fields_html) >= 256:  # visitors choose the values: keep it bounded
            _filter_fields_html.clear()
        _filter_fields_html[key] = html
    return html


@register.simple_tag
def json_ld(data):
    """`data` as a JSON-LD <script>; `<`, `>` and `&` are JSON escapes, so no text can close it."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    for character, escape in JSON_SCRIPT_ESCAPES:
        text = text.replace(character, escape)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(text),  # escaped just above
    )


@register.simple_tag(takes_context=True)
def news_article(context, entry):
    """schema.org NewsArticle data for an entry page."""
    request = context["request"]
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
    return json_ld(data)

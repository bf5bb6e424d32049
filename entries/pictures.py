"""`<picture>` for a photo: WebP and JPEG renditions at their widths, from rows only (no file
is opened or checked). The markup is templates/jinja2/includes/picture.html; the markup of the
photos shown lately is kept (every listing card has one; each took a fifth of the card's work
to build)."""

import copy

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import engines

# The column is at most 46rem wide (44rem of image), below that the viewport less its padding;
# images are never shown wider than themselves.
IMAGE_SIZES = "(min-width: 48rem) min(44rem, {w}px), min(calc(100vw - 2rem), {w}px)"
# Listing cards show the photo as a 10.5rem thumbnail from 48rem on (static/css/site.css).
CARD_SIZES = "(min-width: 48rem) min(10.5rem, {w}px), min(calc(100vw - 2rem), {w}px)"
# By where the photo is shown.
SIZES = {"column": IMAGE_SIZES, "card": CARD_SIZES}
DEFAULT_WIDTH = 640
TEMPLATE = "includes/picture.html"


def picture(image, lazy=False, sizes="column", language=None):
    """The photo's <picture>; without renditions (not made yet) the original's <img>. Its
    text is in `language`, the active one (given by a language's template environment)."""
    alt = image.text_in("alt_text", language)
    sources = image.rendition_sources
    key = (
        image.file.name,
        alt,
        image.width,
        image.height,
        bool(lazy),
        sizes,
    )
    # The renditions are compared with the kept ones, not hashed into the key: a repr() of
    # them per card was 5 % of an uncached topic page's instructions.
    built = _built.get(key)
    if built is None or built[0] != sources:
        html = _build(image, alt, bool(lazy), sizes)
        if len(_built) >= 1024:  # bounded: photos come and go
            _built.clear()
        _built[key] = (copy.deepcopy(sources), html)  # as they were, whatever becomes of them
        return html
    return built[1]


_built = {}


@receiver(setting_changed)
def _forget_built(setting, **kwargs):
    # The kept markup holds URLs built from MEDIA_URL (read here once per card, it cost as
    # much as the rest of the lookup).
    if setting == "MEDIA_URL":
        _built.clear()


def _build(image, alt, lazy, sizes):
    renditions = image.renditions_by_format()
    jpeg, webp = renditions.get("jpeg", []), renditions.get("webp", [])
    fallback = jpeg and next((r for r in reversed(jpeg) if r.width <= DEFAULT_WIDTH), jpeg[0])
    markup = engines["jinja2"].env.get_template(TEMPLATE).module.picture
    return markup(
        image=image,
        alt=alt,
        jpeg=jpeg,
        webp=webp,
        fallback=fallback,
        sizes=SIZES[sizes].format(w=image.width),
        lazy=lazy,
    )


def picture_filter(language):
    """`image|picture(lazy, sizes)` in a language's templates."""

    def picture_in(image, lazy=False, sizes="column"):
        return picture(image, lazy, sizes, language)

    return picture_in

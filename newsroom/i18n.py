"""Languages: which one a request is in, and how each language writes dates and numbers.

Public pages take their language from the URL alone: the default language has no prefix
(`/entries/...`), every other has its own (`/fr/entries/...`). No public page looks at
Accept-Language or a cookie, so each address is one page in one language and caches under
one key with no `Vary`. The admin (and anything else outside the public URLs) follows the
editor's browser instead, as Django's own LocaleMiddleware would.
"""

from datetime import date
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format, get_format
from django.utils.timezone import localtime


def language_codes():
    return [code for code, _ in settings.LANGUAGES]


def language_choices():
    """The configured languages as model and form choices (a callable: migrations keep the
    reference, so a new language needs no migration)."""
    return settings.LANGUAGES


def default_language():
    return settings.LANGUAGE_CODE


def language_name(code):
    """The language's own name for itself: "English", "français"."""
    return dict(settings.LANGUAGES).get(code, code)


def _follows_browser(path):
    return path.startswith(tuple(getattr(settings, "BROWSER_LANGUAGE_PATHS", ("/admin/",))))


class LanguageMiddleware:
    """Activates the language of the URL's prefix, or the default one; under the paths in
    BROWSER_LANGUAGE_PATHS (the admin) the browser's preferred language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        browser = _follows_browser(path)
        if browser:
            language = translation.get_language_from_request(request)
        else:
            language = translation.get_language_from_path(path) or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if browser:
            patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        return response


def news_date(value, with_time=False, language=None, zone=None):
    """`value` in the site's time zone, in the active language's news style: `17 Sep. 2024`
    in English, `17 sept. 2024` in French (NEWS_DATE_FORMAT in newsroom/formats/<code>/).
    `language` and `zone`, when the caller knows the active ones, save looking them up."""
    value = localtime(value, zone)
    name = "NEWS_DATETIME_FORMAT" if with_time else "NEWS_DATE_FORMAT"
    if with_time:
        return date_format(value, _news_format(name))
    language = language or translation.get_language()
    return _format_day(language, name, value.year, value.month, value.day)


def _news_format(name):
    fmt = get_format(name)
    if fmt == name:  # the language has no news style of its own: its general one
        fmt = get_format("DATETIME_FORMAT" if "TIME" in name else "DATE_FORMAT")
    return fmt


@lru_cache(maxsize=4096)
def _format_day(language, name, year, month, day):
    # Only the day shows: formatted once per day and language (the active one), not per card.
    return date_format(date(year, month, day), _news_format(name))


def decimal(value, places, language=None):
    """`value` rounded to `places` (as Python rounds: 98.876 is 98.88, where Django's
    number_format would cut it to 98.87), with the decimal separator of `language`, by
    default the active one."""
    language = language or translation.get_language()
    return f"{value:.{places}f}".replace(".", _decimal_separator(language))


@lru_cache(maxsize=64)
def _decimal_separator(language):
    # Read once per language (get_format's own lookup is a dozen calls; every listing card's
    # photo line asks for it).
    return get_format("DECIMAL_SEPARATOR", language)


def _forget_formats(**kwargs):
    _decimal_separator.cache_clear()


setting_changed.connect(_forget_formats)

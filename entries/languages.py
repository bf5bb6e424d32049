"""Where each page is in the other languages: the language switcher and hreflang links.

An entry or topic page points to its own translation in each language when there is one
(published, for entries); listings point to the same listing in each language. A language
with no version of the page gets the switcher's link to its own listing, and no hreflang.
"""

from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation

# Pages that exist as such in every language (the same address under each prefix).
SAME_IN_EVERY_LANGUAGE = frozenset({"entries:entry_list", "entries:topic_list"})


class Alternate(NamedTuple):
    language: str
    name: str  # the language's own name: "English", "Français"
    url: str
    exists: bool  # this page in that language (an hreflang alternate); else its listing
    current: bool


@lru_cache(maxsize=64)
def _url(view_name, language, script_prefix, urlconf):
    with translation.override(language):
        return reverse(view_name, urlconf=urlconf)


def url_in(view_name, language):
    """The URL of a view without arguments in `language` (`/fr/`, `/fr/topics/`)."""
    return _url(view_name, language, get_script_prefix(), get_urlconf())


def _name(code, local_name):
    return local_name[:1].upper() + local_name[1:]


def alternates_of(obj, translations):
    """For an entry's or a topic's page: `translations` its other versions readers may see."""
    versions = {version.language: version for version in translations}
    versions[obj.language] = obj
    alternates = []
    for code, name in settings.LANGUAGES:
        version = versions.get(code)
        url = version.get_absolute_url() if version else url_in("entries:entry_list", code)
        alternates.append(
            Alternate(code, _name(code, name), url, version is not None, code == obj.language)
        )
    return alternates


def page_alternates(request):
    """For any other page: the same listing (its first page, unfiltered) in each language, else
    each language's listing."""
    match = getattr(request, "resolver_match", None) if request is not None else None
    view_name = match.view_name if match else None
    # A later page or a filtered listing has no equivalent in another language (its entries
    # differ): the switcher leads to that language's listing, and no hreflang is claimed.
    same = view_name in SAME_IN_EVERY_LANGUAGE and not request.GET
    current = translation.get_language()
    return [
        Alternate(
            code,
            _name(code, name),
            url_in(view_name if same else "entries:entry_list", code),
            same,
            code == current,
        )
        for code, name in settings.LANGUAGES
    ]


def x_default(alternates):
    """The page for readers whose language the site does not have: the default language's."""
    for alternate in alternates:
        if alternate.language == settings.LANGUAGE_CODE and alternate.exists:
            return alternate
    return None

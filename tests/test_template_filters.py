"""Template filters of ours (the Jinja2 pages') that stand in for Django's give exactly what
Django's give."""

import pytest
from django.template import defaultfilters
from django.utils import translation
from django.utils.safestring import mark_safe

from entries.page_helpers import truncatechars


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Short.",
        "x" * 300,
        "x" * 301,
        "e\u0301" * 250,
        "\u0958" * 160,
        "<b>a & b</b>" * 30,
        "L\u2019OTAN r\u00e9it\u00e8re son plein soutien \u00ab \u00e0 l\u2019UE \u00bb " * 8,
    ],
)
@pytest.mark.parametrize("length", ["300", "200", "1", "0", "-1", "abc"])
@pytest.mark.parametrize("language", ["en", "fr"])
def test_truncatechars_shortcut_gives_what_django_gives(text, length, language):
    with translation.override(language):
        check_truncatechars(text, length)


def check_truncatechars(text, length):
    for value in (text, mark_safe(text)):
        ours, django_s = truncatechars(value, length), defaultfilters.truncatechars(value, length)
        assert ours == django_s
        assert type(ours) is type(django_s)
        if length.lstrip("-").isdigit():  # Jinja2 templates give the length as a number
            assert truncatechars(value, int(length)) == django_s


@pytest.mark.parametrize(
    "query",
    [
        "",
        "page=3",
        "q=union&page=2",
        "page=2&q=union",
        "year=2024&page=1&month=5",
        "topic=a&topic=b&q=%C3%A9t%C3%A9+%26+co&page=7",
        "page=1&page=2&x=%3Cb%3E",
        "q=a+b&empty=&%E2%9C%93=1",
    ],
)
def test_pagination_links_keep_the_query_as_django_would_write_it(query):
    from django.http import QueryDict

    from entries.page_helpers import page_query, with_page

    get = QueryDict(query)
    for number in (1, 2, 19):
        expected = get.copy()
        expected["page"] = number
        assert with_page(page_query(get), number) == f"?{expected.urlencode()}"

"""Template filters of ours (the Jinja2 pages') that stand in for Django's give exactly what
Django's give."""

import pytest
from django.template import defaultfilters
from django.utils.safestring import mark_safe

from entries.page_helpers import truncatechars


@pytest.mark.parametrize(
    "text",
    ["", "Short.", "x" * 300, "x" * 301, "e\u0301" * 250, "\u0958" * 160, "<b>a & b</b>" * 30],
)
@pytest.mark.parametrize("length", ["300", "200", "0", "-1", "abc"])
def test_truncatechars_shortcut_gives_what_django_gives(text, length):
    for value in (text, mark_safe(text)):
        ours, django_s = truncatechars(value, length), defaultfilters.truncatechars(value, length)
        assert ours == django_s
        assert type(ours) is type(django_s)
        if length.lstrip("-").isdigit():  # Jinja2 templates give the length as a number
            assert truncatechars(value, int(length)) == django_s

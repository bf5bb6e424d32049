"""The public pages' Jinja2 templates and the translation catalogue agree: every message they
show is in locale/fr/LC_MESSAGES/django.po, translated, and `makemessages` finds them all
(Django's own reading of .html files would miss `{% trans %}` blocks)."""

import gettext
from pathlib import Path

import pytest
from django.conf import settings
from django.template import engines

from entries.management.commands.makemessages import is_jinja2_template, python_calls

TEMPLATES = Path(settings.BASE_DIR) / "templates" / "jinja2"


def catalogue(language):
    path = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as file:
        return gettext.GNUTranslations(file)._catalog


def template_messages():
    environment = engines["jinja2"].env
    for path in sorted(TEMPLATES.rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        for _, function, message in environment.extract_translations(source):
            yield path.relative_to(TEMPLATES), function, message


def catalogue_key(function, message):
    """How a message is stored in a compiled catalogue (context, then plural forms)."""
    strings = [m for m in (message if isinstance(message, tuple) else (message,)) if m]
    if function == "pgettext" or function == "npgettext":
        strings = [f"{strings[0]}\x04{strings[1]}", *strings[2:]]
    return (strings[0], 0) if function in ("ngettext", "npgettext") else strings[0]


def test_the_templates_have_messages():
    functions = {function for _, function, _ in template_messages()}
    assert {"gettext", "pgettext", "ngettext"} <= functions


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES[1:]])
def test_every_template_message_is_translated(language):
    translated = catalogue(language)
    missing = [
        (str(path), message)
        for path, function, message in template_messages()
        if not translated.get(catalogue_key(function, message))
    ]
    assert missing == []


def test_makemessages_reads_the_jinja2_templates_on_their_lines():
    base = TEMPLATES / "base.html"
    assert is_jinja2_template(base)
    assert not is_jinja2_template(Path(settings.BASE_DIR) / "templates" / "admin" / "index.html")
    calls = python_calls(base.read_text(encoding="utf-8"), engines["jinja2"].env).split("\n")
    line = next(n for n, text in enumerate(base.read_text().split("\n")) if "button" in text)
    assert "pgettext('button', 'Search')" in calls[line]
    pagination = (TEMPLATES / "includes" / "entry_count.html").read_text()
    assert python_calls(pagination, engines["jinja2"].env) == (
        "ngettext('%(counter)s Entry', '%(counter)s Entries', 1); "
    )

"""What the feed templates (templates/jinja2/feeds/) print: text and attribute values escaped
for XML, and dates, each exactly as Django's feed generator (django.utils.feedgenerator) wrote
them, so the feeds keep their bytes."""

import re
from xml.sax.saxutils import escape, quoteattr

from django.utils.feedgenerator import rfc2822_date, rfc3339_date
from markupsafe import Markup

# Characters XML 1.0 cannot carry. Django's XML writer refused them (the feed failed with a
# server error); a headline pasted with a vertical tab loses the tab instead.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F]")


def _xml_characters(value):
    return CONTROL_CHARACTERS.sub("", str(value))


def xml(value):
    """Element text: `&`, `<` and `>` escaped."""
    return Markup(escape(_xml_characters(value)))


def xml_attribute(value):
    """An attribute's value, quoted (double quotes unless the value holds one)."""
    return Markup(quoteattr(_xml_characters(value)))


FILTERS = {
    "xml": xml,
    "xml_attribute": xml_attribute,
    "rfc2822": rfc2822_date,
    "rfc3339": rfc3339_date,
}

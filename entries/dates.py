"""How the desk writes a moment: "3 Dec. 2026, 08:00", in the site's time zone.

Django's DATETIME_FORMAT for English ends in "a.m." or "p.m.", so a sentence after it ends
with two full stops ("8 a.m.."); this format never ends with one.
"""

from django.utils import timezone
from django.utils.formats import date_format

EDITOR_DATETIME_FORMAT = "j N Y, H:i"


def editor_datetime(value):
    return date_format(timezone.localtime(value), EDITOR_DATETIME_FORMAT)

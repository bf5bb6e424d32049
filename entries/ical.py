"""/calendar/<token>.ics: the scheduled entries, for a staff member's calendar program.

The address is personal and secret (a calendar program cannot log in); its owner renews it
from the admin calendar, which revokes the old one. Built with `icalendar` (RFC 5545 escaping
and line folding).
"""

from datetime import timedelta

from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe
from icalendar import Calendar, Event

from .schedule import CalendarFeed, scheduled_entries

EVENT_LENGTH = timedelta(minutes=15)


@require_safe
def calendar_feed(request, token):
    feed = CalendarFeed.objects.find(token)
    if feed is None:
        raise Http404("No such calendar.")
    host = request.get_host().split(":")[0]
    ical = Calendar()
    ical.add("prodid", "-//Newsroom//Editorial calendar//EN")
    ical.add("version", "2.0")
    ical.add("x-wr-calname", "Newsroom: scheduled entries")
    now = timezone.now()
    for entry in scheduled_entries():
        event = Event()
        event.add("uid", f"entry-{entry.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", entry.pub_date)
        event.add("dtend", entry.pub_date + EVENT_LENGTH)
        event.add("summary", entry.headline)
        event.add("description", entry.summary)
        event.add("last-modified", entry.updated)
        event.add(
            "url",
            request.build_absolute_uri(reverse("admin:entries_entry_change", args=[entry.pk])),
        )
        ical.add_component(event)
    response = HttpResponse(ical.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response

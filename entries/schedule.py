"""What goes live when: the editorial calendar's months and weeks, and the staff calendar feed.

Days are the site's time zone's days (TIME_ZONE): an entry at 00:30 in Brussels is on that
day, although it is the evening before in UTC. Scheduled and published entries sit at their
publication date; drafts at their planned date, when they have one.
"""

import calendar
import hashlib
import secrets
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import get_format

from .models import Entry


def local_midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def first_weekday():
    """The locale's first day of the week, as Python's calendar counts (0 is Monday)."""
    return (int(get_format("FIRST_DAY_OF_WEEK")) - 1) % 7


def month_weeks(year, month):
    """The weeks (lists of seven dates) covering a month, as a wall calendar shows them."""
    return calendar.Calendar(first_weekday()).monthdatescalendar(year, month)


def week_days(year, week):
    """The seven days of an ISO week (Monday first, ISO 8601 numbering)."""
    monday = date.fromisocalendar(year, week, 1)
    return [monday + timedelta(days=n) for n in range(7)]


def items_between(first_day, last_day, topic=None, state=None):
    """{date: [entry, ...]} for the days from `first_day` to `last_day` inclusive, each day's
    entries in time order, with `calendar_time` (aware) and `state` set on each."""
    start, end = local_midnight(first_day), local_midnight(last_day + timedelta(days=1))
    going_live = Entry.objects.filter(
        status=Entry.Status.PUBLISHED, pub_date__gte=start, pub_date__lt=end
    )
    planned = Entry.objects.filter(
        status=Entry.Status.DRAFT, planned_date__gte=start, planned_date__lt=end
    )
    if topic is not None:
        going_live, planned = going_live.filter(topics=topic), planned.filter(topics=topic)
    if state == Entry.State.DRAFT:
        going_live = going_live.none()
    elif state in (Entry.State.SCHEDULED, Entry.State.PUBLISHED):
        planned = planned.none()
        going_live = going_live.in_state(state)
    fields = ("headline", "status", "pub_date", "planned_date")
    days = {}
    for entry in [*going_live.only(*fields), *planned.only(*fields)]:
        entry.calendar_time = (
            entry.planned_date if entry.status == Entry.Status.DRAFT else (entry.pub_date)
        )
        entry.state = entry.publication_state
        day = timezone.localtime(entry.calendar_time).date()
        days.setdefault(day, []).append(entry)
    for entries in days.values():
        entries.sort(key=lambda entry: (entry.calendar_time, entry.pk))
    return days


def scheduled_entries():
    """What the calendar feed lists: entries waiting for their publication time."""
    return (
        Entry.objects.scheduled()
        .order_by("pub_date", "pk")
        .only("headline", "slug", "summary", "pub_date", "status", "updated")
    )


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeedQuerySet(models.QuerySet):
    def find(self, token):
        """The feed for `token` if its owner may still see entries, else None."""
        if not token or len(token) > 100:
            return None
        feed = self.select_related("user").filter(token_hash=hash_token(token)).first()
        if feed is None or not feed.user.is_active or not feed.user.is_staff:
            return None
        return feed if feed.user.has_perm("entries.view_entry") else None


class CalendarFeed(models.Model):
    """One staff member's personal calendar-feed address; a new one replaces (revokes) it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    objects = CalendarFeedQuerySet.as_manager()

    def __str__(self):
        return f"Calendar feed of {self.user}"

    @classmethod
    def renew(cls, user):
        """A new address for `user`'s feed (the old one stops working); returns its token."""
        token = secrets.token_urlsafe(32)
        cls.objects.update_or_create(user=user, defaults={"token_hash": hash_token(token)})
        return token

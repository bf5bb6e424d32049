"""The editorial calendar: /admin/entries/entry/calendar/ (?month=2026-12, ?week=2026-W49),
filtered by topic and state with a plain GET form; and each staff member's calendar feed."""

import re
from datetime import date, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode

from ..models import Entry, Topic
from ..schedule import CalendarFeed, items_between, month_weeks, week_days

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class CalendarForm(forms.Form):
    month = forms.CharField(required=False, help_text="YYYY-MM, e.g. 2026-12")
    week = forms.CharField(required=False, help_text="YYYY-Www, e.g. 2026-W49")
    topic = forms.ModelChoiceField(Topic.objects.all(), required=False, empty_label="All topics")
    state = forms.ChoiceField(
        choices=[("", "All states"), *Entry.State.choices], required=False, label="Status"
    )

    def clean_month(self):
        value = self.cleaned_data["month"]
        if not value:
            return None
        match = MONTH.match(value)
        if not match or not 1 <= int(match[2]) <= 12 or not 1000 <= int(match[1]) <= 9998:
            raise forms.ValidationError("Give a month as YYYY-MM, e.g. 2026-12.")
        return int(match[1]), int(match[2])

    def clean_week(self):
        value = self.cleaned_data["week"]
        if not value:
            return None
        match = WEEK.match(value)
        try:
            if not match or not 1000 <= int(match[1]) <= 9998:
                raise ValueError
            date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError as error:
            raise forms.ValidationError("Give a week as YYYY-Www, e.g. 2026-W49.") from error
        return int(match[1]), int(match[2])


def month_after(year, month, step):
    index = year * 12 + (month - 1) + step
    return index // 12, index % 12 + 1


class CalendarMixin:
    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("calendar/", view(self.calendar_view), name="entries_entry_calendar"),
            path("calendar/feed/", view(self.calendar_feed_view), name="entries_entry_feed"),
            *super().get_urls(),
        ]

    def calendar_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        form = CalendarForm(request.GET)
        today = timezone.localdate()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "today": today,
            "time_zone": timezone.get_current_timezone_name(),
            "has_feed": CalendarFeed.objects.filter(user=request.user).exists(),
        }
        if not form.is_valid():
            context["title"] = "Calendar"
            return TemplateResponse(
                request, "admin/entries/entry/calendar.html", context, status=400
            )
        data = form.cleaned_data
        filters = {
            key: value
            for key, value in (
                ("topic", data["topic"] and data["topic"].pk),
                ("state", data["state"]),
            )
            if value
        }

        def link(**period):
            return "?" + urlencode({**period, **filters})

        if data["week"]:
            days = week_days(*data["week"])
            weeks = [days]
            monday = days[0]
            before, after = ((monday + timedelta(days=step)).isocalendar() for step in (-7, 7))
            context.update(
                view="week",
                title=f"Calendar: week {monday.isocalendar().week} of {monday.isocalendar().year}",
                previous_url=link(week=f"{before.year}-W{before.week:02d}"),
                next_url=link(week=f"{after.year}-W{after.week:02d}"),
                other_view_url=link(month=f"{monday.year}-{monday.month:02d}"),
                other_view="Month view",
                current=None,
            )
        else:
            year, month = data["month"] or (today.year, today.month)
            weeks = month_weeks(year, month)
            before, after = month_after(year, month, -1), month_after(year, month, 1)
            iso = date(year, month, 1).isocalendar()
            context.update(
                view="month",
                title=f"Calendar: {date_format(date(year, month, 1), 'F Y')}",
                previous_url=link(month=f"{before[0]}-{before[1]:02d}"),
                next_url=link(month=f"{after[0]}-{after[1]:02d}"),
                other_view_url=link(week=f"{iso.year}-W{iso.week:02d}"),
                other_view="Week view",
                current=month,
            )
        items = items_between(weeks[0][0], weeks[-1][-1], data["topic"], data["state"] or None)
        context["weeks"] = [[(day, items.get(day, [])) for day in week] for week in weeks]
        context["weekdays"] = [date_format(day, "l") for day in weeks[0]]
        context["this_period_url"] = link()
        return TemplateResponse(request, "admin/entries/entry/calendar.html", context)

    def calendar_feed_view(self, request):
        """POST: a new personal feed address (the old one stops working), or `revoke`."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            if "revoke" in request.POST:
                CalendarFeed.objects.filter(user=request.user).delete()
                self.message_user(request, "Your calendar feed address no longer works.")
            else:
                token = CalendarFeed.renew(request.user)
                url = request.build_absolute_uri(reverse("site:calendar_feed", args=[token]))
                self.message_user(
                    request,
                    format_html(
                        "Your calendar feed (add it to your calendar program; it is shown only "
                        'once, and any older address stopped working): <a href="{}" '
                        'class="desk-feed-url">{}</a>',
                        url,
                        url,
                    ),
                    messages.SUCCESS,
                )
        return HttpResponseRedirect(reverse("admin:entries_entry_calendar"))

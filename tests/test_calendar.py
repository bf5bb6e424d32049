"""The editorial calendar (month and week, the site's days) and the staff calendar feed."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from entries.models import CalendarFeed, Entry

from .factories import make_editor, make_entry, make_topic

pytestmark = pytest.mark.django_db

CALENDAR = "/admin/entries/entry/calendar/"
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.fixture
def editor_client(client):
    client.force_login(make_editor())
    return client


def day_cell(html, day):
    """The calendar cell of one day (`2026-12-03`): its HTML up to the next cell."""
    start = html.index(f'<time datetime="{day}">')
    end = html.find("<td", start)
    return html[start : end if end != -1 else len(html)]


def test_a_month_shows_scheduled_published_and_planned_entries_on_their_days(editor_client):
    make_entry(headline="Out already", pub_date=datetime(2026, 11, 10, 9, 0, tzinfo=BRUSSELS))
    make_entry(headline="Goes out later", pub_date=datetime(2030, 11, 20, 8, 0, tzinfo=BRUSSELS))
    make_entry(
        headline="Planned draft",
        status=Entry.Status.DRAFT,
        pub_date=datetime(2030, 1, 1, tzinfo=BRUSSELS),
        planned_date=datetime(2030, 11, 21, 14, 0, tzinfo=BRUSSELS),
    )
    make_entry(
        headline="Unplanned draft",
        status=Entry.Status.DRAFT,
        pub_date=datetime(2030, 11, 22, tzinfo=BRUSSELS),
    )
    html = editor_client.get(CALENDAR, {"month": "2030-11"}).text
    assert "Calendar: November 2030" in html
    assert "Goes out later" in day_cell(html, "2030-11-20")
    assert "Scheduled" in day_cell(html, "2030-11-20")
    assert "Planned draft" in day_cell(html, "2030-11-21")
    assert "Draft, planned" in day_cell(html, "2030-11-21")
    assert "Unplanned draft" not in html  # a draft is on the calendar by its planned date only
    assert "Out already" not in html
    html = editor_client.get(CALENDAR, {"month": "2026-11"}).text
    assert "Out already" in day_cell(html, "2026-11-10") and "Published" in day_cell(
        html, "2026-11-10"
    )
    entry = Entry.objects.get(headline="Out already")
    assert f'href="/admin/entries/entry/{entry.pk}/change/"' in html


def test_an_entry_at_half_past_midnight_local_time_is_on_its_local_day(editor_client):
    # 00:30 on 1 December in Brussels is 23:30 on 30 November in UTC.
    when = datetime(2030, 12, 1, 0, 30, tzinfo=BRUSSELS)
    assert when.astimezone(ZoneInfo("UTC")).day == 30
    make_entry(headline="Just after midnight", pub_date=when)
    december = editor_client.get(CALENDAR, {"month": "2030-12"}).text
    assert "Just after midnight" in day_cell(december, "2030-12-01")
    assert "00:30" in day_cell(december, "2030-12-01")
    november = editor_client.get(CALENDAR, {"month": "2030-11"}).text
    # November's grid shows 1 December in its last week, but never on 30 November.
    assert "Just after midnight" not in day_cell(november, "2030-11-30")


def test_the_last_minute_of_a_month_stays_in_that_month(editor_client):
    make_entry(headline="Year end", pub_date=datetime(2030, 12, 31, 23, 59, tzinfo=BRUSSELS))
    html = editor_client.get(CALENDAR, {"month": "2030-12"}).text
    assert "Year end" in day_cell(html, "2030-12-31")
    january = editor_client.get(CALENDAR, {"month": "2031-01"}).text
    assert "Year end" not in day_cell(january, "2031-01-01")


def test_months_navigate_across_years_and_keep_the_filters(editor_client):
    topic = make_topic("Energy")
    html = editor_client.get(
        CALENDAR, {"month": "2030-12", "topic": topic.pk, "state": "scheduled"}
    ).text
    assert f'href="?month=2031-01&amp;topic={topic.pk}&amp;state=scheduled"' in html
    assert f'href="?month=2030-11&amp;topic={topic.pk}&amp;state=scheduled"' in html
    january = editor_client.get(CALENDAR, {"month": "2031-01"}).text
    assert "Calendar: January 2031" in january and 'href="?month=2030-12"' in january


def test_filters_by_topic_and_state(editor_client):
    energy = make_topic("Energy")
    when = datetime(2030, 6, 10, 9, tzinfo=BRUSSELS)
    make_entry(headline="About energy", pub_date=when).topics.add(energy)
    make_entry(headline="About something else", pub_date=when)
    make_entry(headline="A planned one", status=Entry.Status.DRAFT, planned_date=when).topics.add(
        energy
    )
    html = editor_client.get(CALENDAR, {"month": "2030-06", "topic": energy.pk}).text
    assert "About energy" in html and "A planned one" in html
    assert "About something else" not in html
    html = editor_client.get(CALENDAR, {"month": "2030-06", "state": "draft"}).text
    assert "A planned one" in html and "About energy" not in html
    html = editor_client.get(CALENDAR, {"month": "2030-06", "state": "scheduled"}).text
    assert "About energy" in html and "A planned one" not in html


def test_the_week_view(editor_client):
    make_entry(headline="Wednesday story", pub_date=datetime(2030, 12, 4, 10, tzinfo=BRUSSELS))
    make_entry(headline="Next week story", pub_date=datetime(2030, 12, 10, 10, tzinfo=BRUSSELS))
    html = editor_client.get(CALENDAR, {"week": "2030-W49"}).text
    assert "week 49 of 2030" in html
    assert "Wednesday story" in day_cell(html, "2030-12-04")
    assert "Next week story" not in html
    assert 'href="?week=2030-W50"' in html and 'href="?week=2030-W48"' in html


@pytest.mark.parametrize(
    "query",
    [
        {"month": "2030-13"},
        {"month": "dec"},
        {"week": "2030-W54"},
        {"topic": "x"},
        {"state": "lost"},
        {"month": "0000-01"},
    ],
)
def test_bad_periods_and_filters_are_a_400_with_the_reason(editor_client, query):
    response = editor_client.get(CALENDAR, query)
    assert response.status_code == 400
    assert 'class="errornote"' in response.text


def test_the_calendar_is_for_staff_who_may_see_entries(client):
    assert client.get(CALENDAR).status_code == 302  # anonymous: to the login page
    client.force_login(get_user_model().objects.create_user("reader"))
    assert client.get(CALENDAR).status_code == 302  # not staff
    client.force_login(get_user_model().objects.create_user("bare", is_staff=True))
    assert client.get(CALENDAR).status_code == 403
    client.force_login(make_editor())
    assert client.get(CALENDAR).status_code == 200


# The staff calendar feed.


def make_feed(editor_client):
    response = editor_client.post(f"{CALENDAR}feed/", follow=True)
    match = re.search(
        r'class="desk-feed-url">http://testserver(/calendar/[^<]+\.ics)<', response.text
    )
    assert match
    return match.group(1)


def test_the_feed_lists_scheduled_entries_for_a_calendar_program(editor_client):
    soon = timezone.now() + timedelta(days=2)
    scheduled = make_entry(
        headline="Embargo, lifted; at 8", summary="Line one\nline two", pub_date=soon
    )
    make_entry(headline="Already out")
    make_entry(headline="A draft", status=Entry.Status.DRAFT, planned_date=soon)
    url = make_feed(editor_client)
    response = Client().get(url)  # a calendar program: no session
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    parsed = icalendar.Calendar.from_ical(response.content)
    events = list(parsed.walk("VEVENT"))
    assert [str(event["SUMMARY"]) for event in events] == ["Embargo, lifted; at 8"]
    event = events[0]
    assert event.decoded("DTSTART") == scheduled.pub_date.replace(microsecond=0)
    assert str(event["DESCRIPTION"]) == "Line one\nline two"
    assert str(event["URL"]).endswith(f"/admin/entries/entry/{scheduled.pk}/change/")
    assert str(event["UID"]).startswith(f"entry-{scheduled.pk}@")


def test_the_feed_address_is_personal_and_revocable(editor_client, client):
    first = make_feed(editor_client)
    second = make_feed(editor_client)
    reader = Client()
    assert reader.get(first).status_code == 404  # replaced
    assert reader.get(second).status_code == 200
    token = second.split("/")[2].removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_hash=token).exists()  # stored as a hash
    editor_client.post(f"{CALENDAR}feed/", {"revoke": "1"})
    assert reader.get(second).status_code == 404
    assert reader.get("/calendar/guessed.ics").status_code == 404


def test_a_feed_stops_when_its_owner_leaves_the_staff(editor_client):
    url = make_feed(editor_client)
    user = CalendarFeed.objects.get().user
    user.is_staff = False
    user.save()
    assert Client().get(url).status_code == 404

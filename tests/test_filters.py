"""Listing filters as query parameters: year, month, from/to, topic, q."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from entries.filters import EntryFilter
from entries.models import Entry

from .factories import make_entry, make_topic
from .text import visible_text

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(year, month, day, hour=12):
    return datetime(year, month, day, hour, tzinfo=BRUSSELS)


def h1(response):
    return re.search(r"<h1>(.*?)</h1>", response.text).group(1)


@pytest.fixture
def dated_entries():
    return {
        "jan23": make_entry(headline="January 2023", pub_date=at(2023, 1, 10)),
        "may24": make_entry(headline="May 2024", pub_date=at(2024, 5, 28)),
        "jun24": make_entry(headline="June 2024", pub_date=at(2024, 6, 1)),
        "draft24": make_entry(
            headline="Draft 2024", pub_date=at(2024, 5, 2), status=Entry.Status.DRAFT
        ),
    }


def test_year_filter_counts_in_the_heading(client, dated_entries):
    response = client.get("/?year=2024")
    assert response.status_code == 200
    assert h1(response) == "2 Entries"
    text = visible_text(response.text)
    assert "May 2024" in text and "June 2024" in text
    assert "January 2023" not in text and "Draft 2024" not in text


def test_year_and_month_together(client, dated_entries):
    response = client.get("/?year=2024&month=5")
    assert h1(response) == "1 Entry"
    assert "May 2024" in visible_text(response.text)


def test_date_range_is_inclusive_in_the_site_time_zone(client, dated_entries):
    # 23:30 UTC on 31 May is 1 June in Brussels: it belongs to `from=2024-06-01`.
    make_entry(
        headline="Late May in UTC", pub_date=datetime(2024, 5, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    )
    response = client.get("/?from=2024-05-28&to=2024-06-01")
    text = visible_text(response.text)
    assert h1(response) == "3 Entries"
    assert "Late May in UTC" in text
    response = client.get("/?from=2024-06-01")
    assert h1(response) == "2 Entries"


def test_topic_filter_by_slug(client, dated_entries):
    topic = make_topic("Energy")
    dated_entries["jan23"].topics.add(topic)
    dated_entries["draft24"].topics.add(topic)
    response = client.get(f"/?topic={topic.slug}")
    assert h1(response) == "1 Entry"
    assert "January 2023" in visible_text(response.text)


def test_the_form_shows_the_current_values(client, dated_entries):
    html = client.get("/?year=2024&q=ministers").text
    form = re.search(r'<form class="filters".*?</form>', html, re.S).group(0)
    assert 'value="2024"' in form
    assert 'value="ministers"' in form


def filter_form(response):
    return re.search(r'<form class="filters".*?</form>', response.text, re.S).group(0)


def test_the_form_follows_new_topics_and_values(
    client, dated_entries, django_capture_on_commit_callbacks
):
    # The rendered fields are reused between requests (entries_tags.filter_fields) and the
    # topic choices kept in the cache: a new topic, a renamed one and other values must still
    # show as soon as the change commits.
    before = filter_form(client.get("/"))
    with django_capture_on_commit_callbacks(execute=True):
        topic = make_topic("Fisheries")
    form = filter_form(client.get("/"))
    assert form != before
    assert f'<option value="{topic.slug}">{topic.name}</option>' in form
    topic.name = "Fisheries & <Oceans>"
    with django_capture_on_commit_callbacks(execute=True):
        topic.save()
    assert "Fisheries &amp; &lt;Oceans&gt;</option>" in filter_form(client.get("/"))
    assert f'<option value="{topic.slug}" selected>' in filter_form(
        client.get(f"/?topic={topic.slug}")
    )
    assert 'value="harbour"' in filter_form(client.get("/?q=harbour"))
    assert 'value="quay"' in filter_form(client.get("/?q=quay"))
    assert "value=" not in filter_form(client.get("/")).split('id="id_q"')[0].rsplit("<", 1)[1]


def test_a_listing_given_no_filter_shows_the_fields_without_building_a_form(client, dated_entries):
    client.get("/")  # the fields are rendered from a form once, then reused
    response = client.get("/?page=1")
    assert not hasattr(response.context["filter"], "_form")  # django-filter's built form
    # The same fields as a form built with an empty text query shows.
    empty = client.get("/?q=")
    assert hasattr(empty.context["filter"], "_form")
    assert filter_form(response) == filter_form(empty)
    assert filter_form(client.get("/")) == filter_form(response)


@pytest.mark.parametrize(
    "query",
    [
        "year=abc",
        "year=99999999999999999999",
        "year=-5",
        # Found by `make fuzz`: the first and last year's bounds leave Python's dates in UTC.
        "year=1",
        "year=1&month=1",
        "year=9999",
        "year=%EF%BC%91",
        "month=13",
        "month=abc",
        "from=2024-13-45",
        "to=not-a-date",
        "from=99999-01-01",
        "topic=no-such-topic",
        "q=" + "x" * 10_000,
        "q=harbour%00",
        "year=2024%00",
        "topic=%00",
    ],
)
def test_bad_values_are_a_form_error_never_a_500(client, dated_entries, query):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert "form-errors" in response.text
    assert 'class="errorlist' in response.text
    assert h1(response) == "0 Entries"


@override_settings(ENTRIES_PER_PAGE=2)
def test_pagination_links_keep_the_filter(client):
    for day in range(1, 6):
        make_entry(pub_date=at(2024, 3, day))
    make_entry(pub_date=at(2023, 3, 1))
    response = client.get("/?year=2024&page=2")
    assert response.status_code == 200
    nav = re.search(r'<nav class="pagination".*?</nav>', response.text, re.S).group(0)
    assert 'href="?year=2024&amp;page=1"' in nav
    assert 'href="?year=2024&amp;page=3"' in nav
    assert h1(response) == "5 Entries"


def test_filters_need_no_javascript(client, dated_entries):
    html = client.get("/").text
    form = re.search(r'<form class="filters" method="get" action="/".*?</form>', html, re.S)
    assert form is not None
    for name in ("q", "topic", "year", "month", "from", "to"):
        assert f'name="{name}"' in form.group(0)
    assert '<button type="submit">' in form.group(0)


@pytest.mark.django_db
def test_each_filterset_has_filters_of_its_own():
    """Filters are copied per request, not deep-copied: a filter's parent and its method
    binding belong to the request's FilterSet, never to another request's."""
    from entries.filters import EntryFilter
    from entries.models import Entry

    entries = Entry.objects.all()
    first = EntryFilter({"q": "a"}, queryset=entries)
    second = EntryFilter({"q": "b"}, queryset=entries)
    for name, filter_ in first.filters.items():
        assert filter_ is not second.filters[name]
        assert filter_.parent is first
    assert first.filters["q"].filter.f is first.filters["q"]
    assert second.filters["q"].filter.f is second.filters["q"]


def test_each_form_has_its_own_fields_and_widgets():
    """The forms of one language share their class and its choice lists, nothing a request
    changes: a widget's choices set while rendering one page never show on another."""
    first, second = (
        EntryFilter({"month": "5"}, queryset=Entry.objects.all()).form for _ in range(2)
    )
    assert type(first) is type(second)
    first.fields["month"].widget.choices = [("5", "May only")]
    first.fields["month"].widget.attrs["class"] = "changed"
    month = second.fields["month"]
    assert [label for _, label in month.choices][1:3] == ["January", "February"]
    assert len(list(month.widget.choices)) == 13
    assert "class" not in month.widget.attrs
    assert second.is_valid() and second.cleaned_data["month"] == "5"


def test_each_filter_form_has_fields_of_its_own(rf):
    """The fields are copied per form without copy.deepcopy (entries.filters.FieldCopies): what
    one request changes in its fields never reaches another's."""
    request = rf.get("/", {"month": "5"})
    first = EntryFilter(request.GET, queryset=Entry.objects.none(), request=request).form
    second = EntryFilter(request.GET, queryset=Entry.objects.none(), request=request).form
    for name in first.fields:
        one, other = first.fields[name], second.fields[name]
        assert one is not other and one.widget is not other.widget
        assert one.widget.attrs == other.widget.attrs and one.widget.attrs is not other.widget.attrs
        assert one.error_messages is not other.error_messages
    first.fields["q"].widget.attrs["placeholder"] = "changed"
    first.fields["month"].widget.choices = [("1", "changed")]
    assert (
        "placeholder"
        not in EntryFilter(request.GET, queryset=Entry.objects.none(), request=request)
        .form.fields["q"]
        .widget.attrs
    )
    month = EntryFilter(request.GET, queryset=Entry.objects.none(), request=request).form.fields[
        "month"
    ]
    assert ("5", "May") in list(month.choices)
    assert ("1", "changed") not in list(month.widget.choices)
    # django-filter's choice iterator reads the empty label of its own field.
    month.empty_label = "Every month"
    assert next(iter(month.choices)) == ("", "Every month")
    assert next(iter(second.fields["month"].choices)) == ("", "Any month")


def test_an_unbound_filter_is_not_valid_nor_blank():
    unbound = EntryFilter(queryset=Entry.objects.none())
    assert not unbound.is_blank
    assert not unbound.is_valid()

import gzip
import re
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import patch
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from entries.models import Entry
from newsroom.content_version import bump_content_version

from .factories import make_entry, make_image, make_topic, make_translation
from .text import visible_text

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def test_heading_counts_published_entries(client):
    make_entry()
    make_entry()
    make_entry(status=Entry.Status.DRAFT)
    response = client.get("/")
    assert response.status_code == 200
    assert "<h1>2 Entries</h1>" in response.text


def test_heading_is_singular_for_one_entry(client):
    make_entry()
    assert "<h1>1 Entry</h1>" in client.get("/").text


def test_empty_site_says_zero_entries(client):
    assert "<h1>0 Entries</h1>" in client.get("/").text


def test_each_entry_shows_date_image_line_headline_and_summary_in_order(client):
    image = make_image("240718a-001.jpg", caption="A meeting")
    make_entry(
        headline="Ministers meet",
        summary="They met & talked.",
        image=image,
        pub_date=datetime(2024, 5, 28, 9, 0, tzinfo=BRUSSELS),
    )
    text = visible_text(client.get("/").text)
    line = image.public_line
    assert f"28 May. 2024 {line} Ministers meet They met & talked." in text
    assert re.fullmatch(r"240718a-001\.jpg - A meeting, \d+\.\d\dKB", line)


def test_dates_use_day_month_year_with_leading_zero_in_site_time_zone(client):
    # 23:30 UTC on 3 April is already 4 April in Brussels.
    make_entry(pub_date=datetime(2024, 4, 3, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert "04 Apr. 2024" in visible_text(client.get("/").text)


def test_caption_less_image_line_has_no_dash(client):
    make_entry(image=make_image("240216-msc.jpg", caption=""))
    text = visible_text(client.get("/").text)
    assert re.search(r"240216-msc\.jpg, \d+\.\d\dKB", text)
    assert "240216-msc.jpg -" not in text


def test_headline_links_to_the_entry_and_image_has_alt_text(client):
    entry = make_entry(image=make_image(alt_text="Two people shaking hands"))
    html = client.get("/").text
    assert f'href="{entry.get_absolute_url()}"' in html
    assert 'alt="Two people shaking hands"' in html


def test_editor_text_is_escaped(client):
    make_entry(headline="<script>alert(1)</script>", summary="<b>bold</b>")
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_drafts_and_future_entries_are_not_listed(client):
    make_entry(headline="Visible")
    make_entry(headline="Draft", status=Entry.Status.DRAFT)
    make_entry(headline="Scheduled", pub_date=timezone.now() + timedelta(days=1))
    text = visible_text(client.get("/").text)
    assert "Visible" in text
    assert "Draft" not in text
    assert "Scheduled" not in text


def test_back_to_top_link_targets_the_top_of_the_page(client):
    make_entry()
    html = client.get("/").text
    assert '<a href="#top">Back To Top</a>' in html
    assert 'id="top"' in html


@override_settings(ENTRIES_PER_PAGE=2)
def test_pagination_sits_in_a_nav_and_keeps_the_query_string(client):
    for _ in range(5):
        make_entry()
    html = client.get("/?page=2&utm=x").text
    nav = re.search(r'<nav class="pagination".*?</nav>', html, re.S).group(0)
    assert 'href="?page=1&amp;utm=x"' in nav
    assert 'href="?page=3&amp;utm=x"' in nav
    assert 'aria-current="page"' in nav


@override_settings(ENTRIES_PER_PAGE=1)
def test_long_page_runs_are_elided(client):
    for _ in range(30):
        make_entry()
    nav = re.search(r'<nav class="pagination".*?</nav>', client.get("/?page=15").text, re.S)
    assert "…" in nav.group(0)
    assert 'href="?page=30"' in nav.group(0)
    assert 'href="?page=8"' not in nav.group(0)


@override_settings(ENTRIES_PER_PAGE=2)
@pytest.mark.parametrize("page", ["4", "0", "-1", "abc", "1.5", "9" * 40, "%00", "1%00", "last%20"])
def test_bad_page_numbers_are_the_sites_404(client, page):
    for _ in range(5):
        make_entry()
    response = client.get(f"/?page={page}")
    assert response.status_code == 404
    assert "Page not found" in response.text


@override_settings(ENTRIES_PER_PAGE=2)
def test_last_page_holds_the_remainder(client):
    for _ in range(5):
        make_entry()
    response = client.get("/?page=3")
    assert response.status_code == 200
    assert len(response.context["entry_list"]) == 1


@pytest.mark.parametrize("per_page", [10, 50])
def test_listing_runs_a_fixed_number_of_queries(client, django_assert_num_queries, per_page):
    for _ in range(per_page + 5):
        make_entry(image=make_image())
    with override_settings(ENTRIES_PER_PAGE=per_page, PAGE_CACHE=False):
        client.get("/")  # the filter form's fields are rendered once per process
        bump_content_version()  # what a change does (here, where no transaction commits)
        # After a change: the content version (next scheduled entry), one SELECT for the page
        # with its images (and their renditions' list) and the COUNT, one for the topic
        # choices of the filter form (both kept for that version).
        with django_assert_num_queries(3):
            response = client.get("/")
        assert response.context["paginator"].count == per_page + 5
        # Then, until the content changes, the page alone: the rest is kept.
        with django_assert_num_queries(1):
            response = client.get("/")
    assert len(response.context["entry_list"]) == per_page
    assert response.context["paginator"].count == per_page + 5


def test_a_first_page_is_read_with_its_count_and_a_later_one_is_not(
    client, django_assert_num_queries
):
    """With nothing keeping the count, the first pages are read in the count's query (with the
    next scheduled entry, which the version needs); deeper ones (read backwards from the oldest
    near the end) count in a query of their own, and the version asks for the schedule in
    another. Either way the same entries, and a page past the end is still a 404."""
    no_cache = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    entries = [make_entry() for _ in range(75)]
    newest_first = sorted(entries, key=lambda e: (e.pub_date, e.pk), reverse=True)
    with override_settings(ENTRIES_PER_PAGE=10, PAGE_CACHE=False, CACHES=no_cache):
        client.get("/")  # the filter form's fields are rendered once per process
        for number, queries in ((1, 2), (2, 2), (5, 2), (6, 4), (8, 4)):
            with django_assert_num_queries(queries):
                response = client.get(f"/?page={number}")
            assert response.context["paginator"].count == 75
            shown = list(response.context["entry_list"])
            assert shown == newest_first[(number - 1) * 10 : number * 10], number
        with django_assert_num_queries(1):  # past the end: the count, a 404
            assert client.get("/?page=9").status_code == 404


def test_a_topic_page_reads_its_topic_and_its_translations_in_one_query(
    client, django_assert_num_queries
):
    topic = make_topic()
    make_translation(topic, "fr")
    for _ in range(12):
        make_entry(image=make_image()).topics.add(topic)
    with override_settings(PAGE_CACHE=False):
        client.get(topic.get_absolute_url())  # the content version and the count are kept
        # The topic with its other language versions, then the page's entries (its filter
        # form has no topic field: the page is the topic).
        with django_assert_num_queries(2):
            response = client.get(topic.get_absolute_url())
    assert response.context["topic"] == topic
    assert [a.language for a in response.context["alternates"] if a.exists] == ["en", "fr"]
    assert len(response.context["entry_list"]) == 10


def test_with_no_cache_at_all_the_version_is_read_once_per_request(
    client, django_assert_num_queries
):
    for _ in range(12):
        make_entry(image=make_image())
    no_cache = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=no_cache, PAGE_CACHE=False):
        # Nothing is kept between requests: the page with its images, the COUNT and the next
        # scheduled entry (which the version and so the Last-Modified and Cache-Control
        # headers use), then the topic choices.
        client.get("/")  # the filter form's fields are rendered once per process
        for _ in range(2):
            with django_assert_num_queries(2):
                response = client.get("/")
            assert response.status_code == 200
            assert response.has_header("Last-Modified")


@pytest.mark.parametrize("url", ["/", "/?q=headline", "/topics/trade/"])
def test_with_no_cache_at_all_a_scheduled_entry_read_with_the_page_caps_its_lifetimes(
    client, django_assert_num_queries, url
):
    topic = make_topic("Trade", slug="trade")
    for _ in range(3):
        make_entry(image=make_image(), headline="A headline").topics.add(topic)
    no_cache = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    with override_settings(CACHES=no_cache, PAGE_CACHE=False):
        client.get(url)
        with django_assert_num_queries(2):
            response = client.get(url)
        assert "s-maxage=60" in response["Cache-Control"]
        # Scheduled 40 s from now: no cache in front may keep the page past that moment.
        make_entry(pub_date=timezone.now() + timedelta(seconds=40), headline="Later")
        with django_assert_num_queries(2):
            response = client.get(url)
    s_maxage = int(re.search(r"s-maxage=(\d+)", response["Cache-Control"]).group(1))
    assert 35 <= s_maxage <= 40


def test_listing_opens_no_server_side_cursor(client):
    """`QuerySet.iterator()` (Django's choice fields use it) is a server-side cursor on
    PostgreSQL: three round trips (DECLARE, FETCH, CLOSE) where one plain query does."""
    topic = make_topic("Trade", slug="trade")
    make_entry(image=make_image()).topics.add(topic)
    with patch.object(
        connection, "chunked_cursor", side_effect=AssertionError("server-side cursor")
    ) as chunked:
        response = client.get("/?topic=trade")
    assert response.status_code == 200
    assert 'value="trade" selected' in response.text
    assert chunked.call_count == 0


def test_listing_html_css_and_js_weigh_under_60_kb_compressed(client):
    for n in range(settings.ENTRIES_PER_PAGE + 1):
        make_entry(image=make_image(f"w{n}.jpg"), summary="A summary of a few words. " * 12)
    html = client.get("/").content
    assets = re.findall(rb'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
    assert assets  # the stylesheet at least
    static = Path(settings.BASE_DIR) / "static"
    payload = html + b"".join((static / name.decode()).read_bytes() for name in assets)
    assert len(gzip.compress(payload)) < 60 * 1024

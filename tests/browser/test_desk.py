"""The editorial desk in a real browser: history and restore, recovering a deleted entry,
shareable previews, the calendar and a phone-sized entries list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from entries.models import Entry, PreviewLink

from ..factories import make_editor, make_entry, make_image, make_topic
from .test_accessibility import axe_violations
from .test_editing import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def save_headline(page, entry, headline):
    page.goto(f"/admin/entries/entry/{entry.pk}/change/")
    page.get_by_label("Headline").fill(headline)
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/entries/entry/")


def test_two_editors_edit_then_one_compares_and_restores_the_first_version(browser, live_server):
    make_editor("ada")
    make_editor("bea")
    entry = make_entry(
        headline="Harbour reopens after the storm", pub_date=timezone.now() - timedelta(days=1)
    )
    contexts = []
    try:
        ada, bea = [], []
        for who, holder in (("ada", ada), ("bea", bea)):
            context = browser.new_context(base_url=live_server.url)
            contexts.append(context)
            holder.append(context.new_page())
            holder[0].set_default_timeout(15_000)
            log_in(holder[0], who)
        ada, bea = ada[0], bea[0]

        save_headline(ada, entry, "Harbour reopens after the storm, ships return")
        save_headline(bea, entry, "Harbour open again")

        bea.goto(f"/admin/entries/entry/{entry.pk}/change/")
        bea.get_by_role("link", name="History").click()
        bea.wait_for_url(f"**/admin/entries/entry/{entry.pk}/history/")
        rows = bea.locator("#history tbody tr")
        # Newest first: bea's save, ada's, and the entry as first made (by "system" here).
        assert rows.count() == 3
        assert "bea" in rows.nth(0).inner_text() and "ada" in rows.nth(1).inner_text()
        assert "system" in rows.nth(2).inner_text()

        bea.get_by_role("button", name="Compare the ticked versions").click()
        bea.wait_for_url("**/history/compare/**")
        headline = bea.locator(".desk-compare tr", has_text="Headline").first
        assert headline.locator("del").first.inner_text() == "reopens"
        assert headline.locator("ins").first.inner_text() == "open"
        assert "ships return" in headline.locator("del").all_inner_texts()[-1]

        first_number = Entry.objects.get(pk=entry.pk).version - 1
        bea.get_by_role("link", name=f"Restore version {first_number}").click()
        bea.get_by_role("button", name=f"Restore version {first_number}").click()
        bea.wait_for_url(f"**/admin/entries/entry/{entry.pk}/change/")
        assert f"Restored version {first_number}" in bea.locator(".messagelist").inner_text()

        bea.goto(entry.get_absolute_url())
        assert bea.locator("h1").inner_text() == "Harbour reopens after the storm, ships return"
        bea.goto(f"/admin/entries/entry/{entry.pk}/history/")
        assert (
            f"Restored version {first_number}"
            in bea.locator("#history tbody tr").first.inner_text()
        )
    finally:
        for context in contexts:
            context.close()


def test_a_deleted_entry_is_recovered_with_its_topics_and_photo(page):
    make_editor()
    photo = make_image("quay.jpg", caption="The quay at noon")
    trade = make_topic("Trade")
    entry = make_entry(
        headline="Quay reopens", image=photo, pub_date=timezone.now() - timedelta(hours=2)
    )
    entry.topics.add(trade)
    log_in(page)
    # A save first, so the history holds the entry's last state.
    save_headline(page, entry, "Quay reopens")

    page.goto(f"/admin/entries/entry/{entry.pk}/delete/")
    page.get_by_role("button", name="Yes, I\u2019m sure").click()
    page.wait_for_url("**/admin/entries/entry/")
    page.goto("/")
    assert page.get_by_text("Quay reopens").count() == 0

    page.goto("/admin/entries/entry/")
    page.get_by_role("link", name="Deleted entries").click()
    page.get_by_role("button", name="Recover “Quay reopens”").click()
    page.wait_for_url(f"**/admin/entries/entry/{entry.pk}/change/")

    page.goto("/")
    card = page.locator(".entry-list > li", has_text="Quay reopens")
    assert card.count() == 1
    assert card.locator("figcaption").inner_text() == photo.public_line
    page.goto(Entry.objects.get(pk=entry.pk).get_absolute_url())
    assert "Trade" in page.locator(".entry-topics").inner_text()


def test_a_preview_link_works_without_a_session_until_revoked_or_expired(
    page, browser, live_server, monkeypatch
):
    make_editor()
    entry = make_entry(
        headline="Summit agreement (embargoed)", pub_date=timezone.now() + timedelta(days=5)
    )
    log_in(page)
    page.goto(f"/admin/entries/entry/{entry.pk}/change/")
    page.get_by_role("link", name="Make a shareable link").click()
    page.get_by_label("Lasts (hours)").fill("48")
    page.get_by_label("Follows the latest version").check()
    page.get_by_role("button", name="Make a preview link").click()
    url = page.locator(".desk-preview-url").inner_text()
    assert "/preview/" in url

    stranger = browser.new_context()  # no cookies, no session
    try:
        reader = stranger.new_page()
        response = reader.goto(url)
        assert response.status == 200
        assert reader.locator("h1").inner_text() == "Summit agreement (embargoed)"
        banner = reader.locator(".preview-banner").inner_text()
        assert "Preview, not yet public." in banner and "expires" in banner
        assert response.headers["cache-control"] == "private, no-store"
        assert axe_violations(reader) == []  # a public page like the others

        # Time moves forward past the link's 48 hours: the same address is a 404.
        real_now = timezone.now
        monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(hours=49))
        assert reader.goto(url).status == 404
        monkeypatch.setattr(timezone, "now", real_now)
        assert reader.goto(url).status == 200

        # Revoked from the entry's page: a 404.
        page.goto(f"/admin/entries/entry/{entry.pk}/change/")
        page.locator(".desk-preview-links").get_by_role("button", name="Revoke").click()
        page.wait_for_url(f"**/admin/entries/entry/{entry.pk}/change/")
        assert "No live preview links" in page.locator(".desk-preview-links").inner_text()
        assert reader.goto(url).status == 404
        assert PreviewLink.objects.get().revoked_at is not None
    finally:
        stranger.close()


def test_the_calendar_moves_between_months_without_javascript(browser, live_server):
    make_editor()
    when = timezone.localtime() + timedelta(days=40)
    make_entry(headline="Far ahead", pub_date=when)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page)
        page.goto("/admin/entries/entry/calendar/")
        for _ in range(3):
            if page.get_by_text("Far ahead").count():
                break
            page.get_by_role("link", name="Next month").click()
        assert page.get_by_role("link", name="Far ahead").count() == 1
        page.get_by_label("Status").select_option("draft")
        page.get_by_role("button", name="Filter").click()
        assert page.get_by_text("Far ahead").count() == 0
    finally:
        context.close()


def test_on_a_phone_the_entries_list_shows_status_and_filters_first(browser, live_server):
    make_editor()
    for n in range(60):
        make_entry(headline=f"Story {n}")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page)
        page.goto("/admin/entries/entry/")
        status = page.locator("#result_list thead th.column-state")
        box = status.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
        filters = page.locator("#changelist-filter").bounding_box()
        results = page.locator("#result_list").bounding_box()
        assert filters["y"] < results["y"]
        entry = Entry.objects.first()
        page.goto(f"/admin/entries/entry/{entry.pk}/change/")
        row = page.locator(".submit-row")
        delete = row.locator(".deletelink").bounding_box()
        publish = row.locator('input[name="_save_draft"]').bounding_box()
        assert delete["y"] > publish["y"] + publish["height"]
    finally:
        context.close()

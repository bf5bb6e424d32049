"""The editors' admin: who gets in, the changelists, the entry form, publishing, previews."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from entries.admin.common import CappedCountPaginator
from entries.models import Entry, Image

from .factories import make_editor, make_entry, make_image, make_topic
from .text import normalise

pytestmark = pytest.mark.django_db

ENTRIES = "/admin/entries/entry/"


@pytest.fixture
def editor(db):
    return make_editor()


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def entry_form_data(entry=None, **overrides):
    """What the entry form posts back, from an entry or from scratch."""
    when = timezone.localtime(entry.pub_date if entry else timezone.now())
    data = {
        "headline": entry.headline if entry else "Harbour reopens",
        "slug": entry.slug if entry else "harbour-reopens",
        "summary": entry.summary if entry else "The harbour is open again.",
        "body": entry.body if entry else "Ships came in.",
        "image": entry.image_id if entry and entry.image_id else "",
        "status": entry.status if entry else Entry.Status.DRAFT,
        "pub_date_0": when.strftime("%Y-%m-%d"),
        "pub_date_1": when.strftime("%H:%M:%S"),
        "opened_version": entry.version if entry else 0,
    }
    if entry:
        data["topics"] = [topic.pk for topic in entry.topics.all()]
    return {**data, **overrides}


# Who gets in.


def test_the_editors_group_has_add_change_delete_and_publish_permissions():
    group = Group.objects.get(name="Editors")
    codenames = set(group.permissions.values_list("codename", flat=True))
    for model in ["entry", "image", "topic"]:
        assert {f"add_{model}", f"change_{model}", f"delete_{model}"} <= codenames
    assert "publish_entry" in codenames


def test_create_editor_makes_a_staff_user_in_the_editors_group(client, monkeypatch):
    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", "correct-horse-battery")
    call_command("create_editor", "ada", "--email", "ada@example.org", "--noinput")
    ada = get_user_model().objects.get(username="ada")
    assert ada.is_staff and not ada.is_superuser
    assert ada.groups.filter(name="Editors").exists()
    assert ada.has_perm("entries.publish_entry")
    assert client.login(username="ada", password="correct-horse-battery")
    assert client.get(ENTRIES).status_code == 200


def test_create_editor_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", "123")
    with pytest.raises(CommandError, match="too short"):
        call_command("create_editor", "bob", "--noinput")
    assert not get_user_model().objects.filter(username="bob").exists()


ADMIN_PAGES = [
    "/admin/",
    ENTRIES,
    f"{ENTRIES}add/",
    "/admin/entries/image/",
    "/admin/entries/image/add/",
    "/admin/entries/topic/",
]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_an_editor_reaches_the_admin_pages(editor_client, url):
    assert editor_client.get(url).status_code == 200


def test_anonymous_visitors_and_non_staff_users_are_sent_to_the_login(client):
    entry = make_entry(status=Entry.Status.DRAFT)
    image = make_image()
    pages = [
        *ADMIN_PAGES,
        f"{ENTRIES}{entry.pk}/change/",
        f"{ENTRIES}{entry.pk}/preview/",
        f"/admin/entries/image/{image.pk}/change/",
        f"/admin/entries/image/{image.pk}/card/",
        "/admin/autocomplete/?app_label=entries&model_name=entry&field_name=image",
    ]
    reader = get_user_model().objects.create_user("reader", password="a-long-password-1")
    for who in [None, reader]:
        if who:
            client.force_login(who)
        for url in pages:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/admin/login/"), url


def test_a_non_staff_user_cannot_log_in_to_the_admin(client):
    get_user_model().objects.create_user("reader", password="a-long-password-1")
    response = client.post("/admin/login/", {"username": "reader", "password": "a-long-password-1"})
    assert response.status_code == 200
    assert "Please enter the correct username and password for a staff account" in response.text


def test_staff_without_permissions_cannot_open_entries(client):
    client.force_login(get_user_model().objects.create_user("temp", is_staff=True))
    assert client.get(ENTRIES).status_code == 403
    assert client.get(f"{ENTRIES}{make_entry().pk}/preview/").status_code == 403


# The entries changelist.


def test_changelist_shows_thumbnail_headline_date_state_and_topics(editor_client):
    topic = make_topic("Trade")
    entry = make_entry(headline="Ports reopen", image=make_image("port.jpg"))
    entry.topics.add(topic)
    make_entry(headline="Still a draft", status=Entry.Status.DRAFT)
    make_entry(headline="Coming soon", pub_date=timezone.now() + timedelta(days=2))
    html = editor_client.get(ENTRIES).text
    row = re.search(r"<tr>.*?Ports reopen.*?</tr>", html, re.S).group(0)
    assert f'src="{entry.image.file.url}"' in row
    assert "Published" in row and topic.name in row
    assert re.search(r"Still a draft.*?Draft", html, re.S)
    assert re.search(r"Coming soon.*?Scheduled", html, re.S)


@pytest.mark.parametrize(
    ("state", "expected"),
    [("draft", ["Draft one"]), ("scheduled", ["Future one"]), ("published", ["Live one"])],
)
def test_changelist_filters_by_computed_state(editor_client, state, expected):
    make_entry(headline="Draft one", status=Entry.Status.DRAFT)
    make_entry(headline="Future one", pub_date=timezone.now() + timedelta(hours=1))
    make_entry(headline="Live one")
    response = editor_client.get(ENTRIES, {"state": state})
    shown = [entry.headline for entry in response.context["cl"].result_list]
    assert shown == expected


def test_changelist_searches_headline_summary_and_body(editor_client):
    make_entry(headline="Fisheries deal")
    make_entry(summary="About fisheries quotas.")
    make_entry(body="Long text on FISHERIES.")
    make_entry(headline="Unrelated")
    response = editor_client.get(ENTRIES, {"q": "fisheries"})
    assert len(response.context["cl"].result_list) == 3


def test_changelist_filters_by_topic_and_year(editor_client):
    topic = make_topic()
    old = make_entry(pub_date=timezone.now().replace(year=2020))
    old.topics.add(topic)
    make_entry(pub_date=timezone.now().replace(year=2021))
    response = editor_client.get(ENTRIES, {"year": "2020"})
    assert list(response.context["cl"].result_list) == [old]
    response = editor_client.get(ENTRIES, {"topics__id__exact": topic.pk})
    assert list(response.context["cl"].result_list) == [old]


def test_years_are_found_by_probes_and_match_what_datetimes_gives(settings):
    settings.TIME_ZONE = "Europe/Stockholm"
    # 23:30 UTC on 31 December is already the next year in Stockholm.
    for when in ("2019-06-01T12:00Z", "2021-12-31T23:30Z", "2024-01-01T00:00Z"):
        make_entry(pub_date=timezone.datetime.fromisoformat(when))
    with timezone.override("Europe/Stockholm"):
        expected = list(Entry.objects.datetimes("pub_date", "year"))
        assert [day.year for day in expected] == [2019, 2022, 2024]
        assert Entry.objects.years() == expected
        assert Entry.objects.years(order="DESC") == expected[::-1]
        assert Entry.objects.filter(pub_date__year=2019).years() == expected[:1]
    assert Entry.objects.none().years() == []


def test_changelist_date_bar_and_year_filter_do_not_scan_the_table(editor_client):
    for year in (2019, 2021):
        make_entry(pub_date=timezone.now().replace(year=year, month=6))
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(ENTRIES)
    assert not [q for q in queries if "DISTINCT" in q["sql"]]  # no truncate-and-dedupe scan
    text = response.text
    assert "pub_date__year=2019" in text and "pub_date__year=2021" in text  # the date bar
    assert "?year=2019" in text and "?year=2021" in text  # the year filter


@pytest.mark.parametrize(
    "query",
    [
        {"year": "9" * 30},
        {"year": "0000"},
        {"year": "-1"},
        {"state": "nonsense"},
        {"pub_date__year": "99999"},
        {"pub_date__month": "13", "pub_date__year": "2024"},
        {"o": "99"},
        {"q": "\x00" + "x" * 5000},
    ],
)
def test_odd_changelist_parameters_never_break_the_page(editor_client, query):
    make_entry()
    assert editor_client.get(ENTRIES, query).status_code in (200, 302)


def test_changelist_never_counts_the_whole_table(editor_client):
    for _ in range(3):
        make_entry()
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(ENTRIES, {"q": "Headline"})
    assert response.status_code == 200
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the page is counted"
    for sql in counts:
        assert "LIMIT" in sql.upper(), f"an unbounded count: {sql}"
    assert "3 entries" in normalise(response.text)


@pytest.mark.parametrize("url", [ENTRIES, "/admin/entries/image/"])
def test_changelist_queries_do_not_grow_with_the_rows_shown(editor_client, url):
    def queries_for_page():
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get(url).status_code == 200
        return len(queries)

    # All in one year: the year filter runs one query per year shown (`Entry.years`), and
    # that is not what this test is about.
    start = timezone.now().replace(month=6, day=15)

    def add_entries(count):
        for n in range(count):
            entry = make_entry(image=make_image(), pub_date=start - timedelta(hours=n))
            entry.topics.add(make_topic())

    add_entries(2)
    few = queries_for_page()
    add_entries(20)
    assert queries_for_page() == few


def test_past_the_count_limit_the_changelist_says_more_than(editor_client, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "count_limit", 3)
    for _ in range(5):
        make_entry()
    text = normalise(editor_client.get(ENTRIES).text)
    assert "More than 3 entries" in text


# The entry form.


def test_the_entry_form_has_autocomplete_prepopulated_slug_and_the_image_line(editor_client):
    image = make_image("240718a-001.jpg", caption="A meeting")
    entry = make_entry(image=image)
    html = editor_client.get(f"{ENTRIES}{entry.pk}/change/").text
    assert 'class="admin-autocomplete' in html and 'id="id_image"' in html
    assert 'id="id_topics"' in html and "data-ajax--url" in html
    assert "&quot;#id_slug&quot;, &quot;name&quot;: &quot;slug&quot;" in html
    assert "&quot;dependency_ids&quot;: [&quot;#id_headline&quot;]" in html
    assert 'id="add_id_image"' in html, "an image can be uploaded without leaving the form"
    assert image.public_line in normalise(html)
    assert re.match(r"240718a-001\.jpg - A meeting, \d+\.\d\dKB", image.public_line)


def test_image_card_feeds_the_entry_forms_live_preview(editor_client):
    image = make_image("a.jpg", width=480, height=320, caption="<b>Dawn</b>")
    card = editor_client.get(f"/admin/entries/image/{image.pk}/card/").json()
    assert card == {
        "src": image.file.url,
        "width": 240,
        "height": 160,
        "line": image.public_line,
    }
    assert editor_client.get("/admin/entries/image/999999/card/").status_code == 404


def test_image_autocomplete_finds_images_by_caption_and_shows_their_line(editor_client):
    image = make_image("a.jpg", caption="Harbour at dawn")
    make_image("b.jpg", caption="Something else")
    response = editor_client.get(
        "/admin/autocomplete/",
        {"app_label": "entries", "model_name": "entry", "field_name": "image", "term": "harb"},
    )
    assert [result["text"] for result in response.json()["results"]] == [image.public_line]


def test_save_as_draft(editor_client):
    response = editor_client.post(f"{ENTRIES}add/", {**entry_form_data(), "_save_draft": "1"})
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.publication_state == Entry.State.DRAFT
    assert not Entry.objects.published().exists()


def test_publish_now(editor_client, client):
    data = entry_form_data(status=Entry.Status.DRAFT)
    editor_client.post(f"{ENTRIES}add/", {**data, "_publish": "1"})
    entry = Entry.objects.get()
    assert entry.publication_state == Entry.State.PUBLISHED
    assert client.get(entry.get_absolute_url()).status_code == 200


def test_publishing_with_a_future_date_schedules(editor_client, client):
    future = timezone.localtime() + timedelta(days=3)
    data = entry_form_data(
        pub_date_0=future.strftime("%Y-%m-%d"), pub_date_1=future.strftime("%H:%M:%S")
    )
    response = editor_client.post(f"{ENTRIES}add/", {**data, "_publish": "1"}, follow=True)
    entry = Entry.objects.get()
    assert entry.publication_state == Entry.State.SCHEDULED
    assert "Scheduled for" in response.text
    assert client.get(entry.get_absolute_url()).status_code == 404
    # No background job: once the time has come, the next request shows it.
    Entry.objects.filter(pk=entry.pk).update(pub_date=timezone.now() - timedelta(seconds=1))
    assert client.get(entry.get_absolute_url()).status_code == 200


def test_an_editor_without_publish_permission_saves_drafts_only(client):
    writer = get_user_model().objects.create_user("writer", is_staff=True)
    group = Group.objects.get(name="Editors")
    writer.user_permissions.set(group.permissions.exclude(codename="publish_entry"))
    client.force_login(writer)
    page = client.get(f"{ENTRIES}add/").text
    assert 'name="_publish"' not in page
    data = entry_form_data(status=Entry.Status.PUBLISHED)
    assert client.post(f"{ENTRIES}add/", {**data, "_publish": "1"}).status_code == 403
    client.post(f"{ENTRIES}add/", data)
    assert Entry.objects.get().status == Entry.Status.DRAFT


# View on site and the staff preview.


def test_view_on_site_for_published_entries_and_preview_for_the_others(editor_client):
    published = make_entry()
    draft = make_entry(status=Entry.Status.DRAFT)
    html = editor_client.get(f"{ENTRIES}{published.pk}/change/").text
    assert "View on site" in html and f"{ENTRIES}{published.pk}/preview/" not in html
    html = editor_client.get(f"{ENTRIES}{draft.pk}/change/").text
    assert "View on site" not in html
    assert f'href="{ENTRIES}{draft.pk}/preview/"' in html


@pytest.mark.parametrize(
    "overrides",
    [{"status": Entry.Status.DRAFT}, {"pub_date": timezone.now() + timedelta(days=5)}],
)
def test_staff_preview_renders_the_public_page_and_is_never_cached(
    editor_client, client, overrides
):
    entry = make_entry(headline="Not yet <public>", image=make_image("p.jpg"), **overrides)
    assert client.get(entry.get_absolute_url()).status_code == 404
    response = editor_client.get(f"{ENTRIES}{entry.pk}/preview/")
    assert response.status_code == 200
    assert "entries/entry_preview.html" in [t.name for t in response.templates]
    assert '<article class="entry">' in response.text  # the public entry page's markup
    assert "<h1>Not yet &lt;public&gt;</h1>" in response.text
    assert entry.image.public_line in normalise(response.text)
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert response["X-Robots-Tag"] == "noindex"


def test_preview_of_a_missing_entry_is_a_404(editor_client):
    assert editor_client.get(f"{ENTRIES}999999/preview/").status_code == 404


# Bulk actions.


def test_bulk_publish_and_unpublish(editor_client):
    drafts = [make_entry(status=Entry.Status.DRAFT) for _ in range(3)]
    other = make_entry(status=Entry.Status.DRAFT)
    selected = [entry.pk for entry in drafts]
    response = editor_client.post(
        ENTRIES, {"action": "publish", "_selected_action": selected}, follow=True
    )
    assert "Published 3 entries" in response.text
    assert set(Entry.objects.published()) == set(drafts)
    assert Entry.objects.get(pk=other.pk).status == Entry.Status.DRAFT

    editor_client.post(ENTRIES, {"action": "unpublish", "_selected_action": selected[:2]})
    assert list(Entry.objects.published()) == [drafts[2]]
    assert Entry.objects.get(pk=drafts[0].pk).version == drafts[0].version + 2


def test_bulk_publish_is_not_offered_without_publish_permission(client):
    writer = get_user_model().objects.create_user("writer", is_staff=True)
    group = Group.objects.get(name="Editors")
    writer.user_permissions.set(group.permissions.exclude(codename="publish_entry"))
    client.force_login(writer)
    draft = make_entry(status=Entry.Status.DRAFT)
    client.post(ENTRIES, {"action": "publish", "_selected_action": [draft.pk]})
    assert Entry.objects.get(pk=draft.pk).status == Entry.Status.DRAFT


# Two editors on one entry.


def test_a_save_from_an_outdated_form_is_refused_and_keeps_the_typed_text(editor_client):
    entry = make_entry(headline="First headline")
    opened_by_both = entry_form_data(entry)
    first = editor_client.post(
        f"{ENTRIES}{entry.pk}/change/", {**opened_by_both, "headline": "Ada's headline"}
    )
    assert first.status_code == 302

    second = editor_client.post(
        f"{ENTRIES}{entry.pk}/change/", {**opened_by_both, "headline": "Bob's headline"}
    )
    assert second.status_code == 200
    text = normalise(second.text)
    assert "Someone else saved this entry" in text
    assert f'href="{ENTRIES}{entry.pk}/change/"' in second.text, "a link to reload"
    assert 'value="Bob&#x27;s headline"' in second.text, "Bob's text is still in the form"
    entry.refresh_from_db()
    assert entry.headline == "Ada's headline"
    assert entry.version == opened_by_both["opened_version"] + 1


def test_a_bulk_action_also_outdates_open_forms(editor_client):
    entry = make_entry(status=Entry.Status.DRAFT)
    opened = entry_form_data(entry)
    editor_client.post(ENTRIES, {"action": "publish", "_selected_action": [entry.pk]})
    response = editor_client.post(f"{ENTRIES}{entry.pk}/change/", opened)
    assert "Someone else saved this entry" in response.text
    assert Entry.objects.get(pk=entry.pk).status == Entry.Status.PUBLISHED


def test_saves_in_turn_each_succeed(editor_client):
    entry = make_entry()
    for n in range(3):
        entry.refresh_from_db()
        data = entry_form_data(entry, headline=f"Take {n}")
        assert editor_client.post(f"{ENTRIES}{entry.pk}/change/", data).status_code == 302
    entry.refresh_from_db()
    assert (entry.headline, entry.version) == ("Take 2", 4)


# The images changelist and form.


def test_images_changelist_shows_thumbnail_name_size_dimensions_and_use(editor_client):
    image = make_image("harbour.jpg", width=120, height=80, caption="Dawn", credit="Ada")
    make_entry(image=image)
    make_entry(image=image)
    html = editor_client.get("/admin/entries/image/").text
    row = normalise(re.search(r"<tr>.*?harbour\.jpg.*?</tr>", html, re.S).group(0))
    assert f'src="{image.file.url}"' in row
    for shown in ["harbour.jpg", "Dawn", "120 x 80 px", f"{image.size_kb} KB", "Ada", ">2<"]:
        assert shown in row, shown


def test_images_are_searched_by_file_name_and_caption(editor_client):
    make_image("harbour.jpg", caption="Dawn")
    make_image("market.jpg", caption="Harbour market")
    make_image("other.jpg", caption="Other")
    response = editor_client.get("/admin/entries/image/", {"q": "harbour"})
    assert len(response.context["cl"].result_list) == 2


def test_image_form_lists_the_entries_using_it_and_reads_dimensions_from_the_file(
    editor_client,
):
    image = make_image("x.jpg", width=90, height=30)
    entry = make_entry(headline="Uses the photo", image=image)
    html = editor_client.get(f"/admin/entries/image/{image.pk}/change/").text
    assert f'href="{ENTRIES}{entry.pk}/change/">Uses the photo</a>' in html
    assert "90 x 30 px" in html
    assert 'name="width"' not in html and 'name="file_size"' not in html


def test_alt_text_is_required_unless_the_image_is_decorative(editor_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .factories import image_bytes

    def add(**fields):
        upload = SimpleUploadedFile("p.jpg", image_bytes())
        return editor_client.post("/admin/entries/image/add/", {"file": upload, **fields})

    response = add(caption="c", alt_text="  ")
    assert "Describe the image" in " ".join(response.context["adminform"].form.errors["alt_text"])
    assert not Image.objects.exists()
    assert add(caption="c", alt_text="", decorative="on").status_code == 302
    assert Image.objects.get().decorative


def test_a_decorative_image_has_an_empty_alt_on_the_site(client):
    make_entry(image=make_image(alt_text="", decorative=True))
    assert 'alt=""' in client.get("/").text


def test_admin_urls_reverse():
    assert reverse("admin:entries_entry_preview", args=[1]) == f"{ENTRIES}1/preview/"


def test_what_editors_type_is_escaped_everywhere_in_the_admin(editor_client):
    script, tag = "<script>alert(1)</script>", "<img src=x onerror=alert(1)>"
    image = make_image("x.jpg", caption=tag, credit=tag)
    entry = make_entry(headline=script, image=image, status=Entry.Status.DRAFT)
    pages = [
        editor_client.get(ENTRIES),
        editor_client.get(f"{ENTRIES}{entry.pk}/change/"),
        editor_client.get(f"{ENTRIES}{entry.pk}/preview/"),
        editor_client.get("/admin/entries/image/"),
        editor_client.get(f"/admin/entries/image/{image.pk}/change/"),
        editor_client.post(
            ENTRIES, {"action": "publish", "_selected_action": [entry.pk]}, follow=True
        ),
    ]
    for response in pages:
        assert response.status_code == 200
        assert script not in response.text and tag not in response.text, response.request
        assert "&lt;script&gt;" in response.text or "&lt;img" in response.text

"""Anonymous reads of public pages skip the editors' middleware (newsroom/public_chain.py),
and answer exactly what the full chain answers; editors, the admin and writes keep it all."""

import pytest
from django.test import Client

from .factories import make_editor, make_entry, make_image, make_topic, make_translation
from .servers import get, gunicorn, manage, production_env

pytestmark = pytest.mark.django_db

# Headers that carry the moment of the response, not what it is.
MOMENT = {"date", "last-modified", "expires"}


@pytest.fixture
def site():
    topic = make_topic()
    entry = make_entry(image=make_image())
    entry.topics.add(topic)
    make_translation(entry)
    make_translation(topic)
    for _ in range(12):
        make_entry().topics.add(topic)
    moved = make_entry(slug="before")
    moved.slug = "after"
    moved.save()
    return entry, topic


def public_paths(entry, topic):
    return [
        "/",
        "/?page=2",
        "/?q=headline",
        "/?q=nothing-matches",
        f"/?topic={topic.slug}&year=2020",
        "/?year=abc",
        "/?page=99",
        entry.get_absolute_url(),
        "/entries/before/",
        f"/entries/id/{entry.pk}/",
        "/entries/no-such-entry/",
        "/topics/",
        "/topics",
        topic.get_absolute_url(),
        "/fr/",
        "/fr/topics/",
        "/feeds/entries.rss",
        topic.get_absolute_url() + "feed.atom",
        "/sitemap.xml",
        "/robots.txt",
        "/healthz",
    ]


def answer(response):
    headers = sorted((k, v) for k, v in response.items() if k.lower() not in MOMENT)
    return response.status_code, headers, sorted(response.cookies), response.content


def took_full_chain(response):
    return hasattr(response.wsgi_request, "session")


def test_public_pages_are_the_same_on_both_chains(site, settings):
    paths = public_paths(*site)
    short = Client()
    answers = {}
    for path in paths:
        for method in (short.get, short.head):
            response = method(path)
            assert not took_full_chain(response), path
            answers[path, method.__name__] = answer(response)
    settings.PUBLIC_MIDDLEWARE = []  # the middleware removes itself from a new handler
    full = Client()
    for path in paths:
        for method in (full.get, full.head):
            response = method(path)
            assert took_full_chain(response), path
            assert answer(response) == answers[path, method.__name__], path


def test_cached_pages_are_the_same_on_both_chains(site, settings):
    settings.PAGE_CACHE = True
    entry, topic = site
    for path in ("/", entry.get_absolute_url(), topic.get_absolute_url()):
        stored = Client().get(path)  # stored by the page cache, then replayed
        assert not took_full_chain(stored)
        assert answer(Client().get(path)) == answer(stored)


def test_a_signed_in_editor_takes_the_full_chain(site):
    client = Client()
    client.force_login(make_editor())
    response = client.get("/")
    assert took_full_chain(response)
    assert response.wsgi_request.user.is_staff
    assert "private" in response["Cache-Control"]  # never stored for anonymous readers
    assert "xkey" not in response


def test_a_messages_cookie_takes_the_full_chain(site):
    client = Client()
    client.cookies["messages"] = "anything"
    assert took_full_chain(client.get("/"))


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/preview/unknown-token/"])
def test_editor_paths_take_the_full_chain(site, path):
    response = Client().get(path)
    assert took_full_chain(response)


def test_the_admin_login_still_works(site):
    make_editor()
    client = Client(enforce_csrf_checks=True)
    page = client.get("/admin/login/")
    assert "csrftoken" in page.cookies
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/admin/login/",
        {"username": "editor", "password": "a-long-editor-password", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_writes_to_public_pages_take_the_full_chain(site):
    response = Client(enforce_csrf_checks=True).post("/", {"q": "x"})
    assert took_full_chain(response)
    assert response.status_code == 403  # refused by the CSRF check, as before


def test_gunicorn_answers_the_same_on_both_chains(tmp_path, collected_static):
    database = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    env = production_env(tmp_path, collected_static, DATABASE_URL=database, PAGE_CACHE="false")
    manage(env, "migrate", "--noinput")
    manage(env, "generate_entries", "12")
    paths = ["/", "/?page=2", "/?q=the", "/topics/", "/fr/", "/no-such-page/", "/robots.txt"]

    def answers(server):
        found = []
        for path in paths:
            # One Host for both servers, on different ports: pages show absolute addresses.
            status, headers, body = get(server.url(path), headers={"Host": "127.0.0.1"})
            kept = sorted((k, v) for k, v in headers.items() if k.lower() not in MOMENT)
            found.append((path, status, kept, body))
        return found

    with gunicorn(env, tmp_path / "short.log") as server:
        short = answers(server)
        login = get(server.url("/admin/login/"))
        assert login[0] == 200 and "csrftoken=" in login[1]["Set-Cookie"]
    with gunicorn({**env, "PUBLIC_CHAIN": "false"}, tmp_path / "full.log") as server:
        assert answers(server) == short

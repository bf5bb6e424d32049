"""The bytes of every public page, saved once and compared after a change meant to keep them.

    python bench/golden.py save DIR      # write each page's status, content type and body
    python bench/golden.py compare DIR   # exit 1 and show a diff where any page differs

Uses the database and settings of the environment (DATABASE_URL, MEDIA_ROOT...), normally a
database with the demo content (`make demo`, `manage.py make_renditions`). The page cache is
off, so every page is rendered. Written to check that moving the public templates from Django's
engine to Jinja2 changed no byte of any page.
"""

import argparse
import difflib
import os
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
os.environ["PAGE_CACHE"] = "false"
os.environ.setdefault("STATIC_ROOT", "/tmp/newsroom-bench-static")

import django

warnings.filterwarnings("ignore", message="No directory at")
django.setup()

from django.test import Client  # noqa: E402

from bench.inprocess import admin_client, collect_static  # noqa: E402


def public_urls():
    from django.conf import settings

    from entries.languages import url_in
    from entries.models import Entry, Topic

    default = settings.LANGUAGE_CODE
    newest = Entry.objects.published().in_language(default).order_by("-pub_date", "-id")
    entries = [newest[0], newest[5], newest.last()]
    updated = next((e for e in newest if e.was_updated), None)
    no_image = newest.filter(image=None).first()
    topic = Topic.objects.in_language(default).order_by("slug").first()
    year = newest[0].pub_date.year
    urls = {
        "listing": "/",
        "listing_page_2": "/?page=2",
        "listing_page_19": "/?page=19",
        "listing_filtered": f"/?year={year}&month=5&page=1",
        "listing_topic_filter": f"/?topic={topic.slug}",
        "listing_bad_filter": "/?year=abc&from=2024-13-45",
        "search": "/?q=union",
        "search_quoted": "/?q=%22European+Union%22+%3Cb%3E",
        "search_none": "/?q=zzzznothing",
        "topics": "/topics/",
        "topic": topic.get_absolute_url(),
        "topic_page_2": topic.get_absolute_url() + "?page=2",
        "not_found": "/entries/no-such-entry/",
        "not_found_page": "/?page=999",
        "feed_rss": "/feeds/entries.rss",
        "feed_atom": "/feeds/entries.atom",
        "topic_feed_rss": topic.get_absolute_url() + "feed.rss",
        "topic_feed_atom": topic.get_absolute_url() + "feed.atom",
        "sitemap": "/sitemap.xml",
        "robots": "/robots.txt",
    }
    for number, entry in enumerate(entries):
        urls[f"entry_{number}"] = entry.get_absolute_url()
    if updated:
        urls["entry_updated"] = updated.get_absolute_url()
    if no_image:
        urls["entry_no_image"] = no_image.get_absolute_url()
    # The other languages' listing, newest entry, topic, feed and not-found page (`/fr/...`).
    for language, _ in settings.LANGUAGES:
        if language == default:
            continue
        home = url_in("entries:entry_list", language)
        urls[f"{language}_listing"] = home
        urls[f"{language}_topics"] = url_in("entries:topic_list", language)
        urls[f"{language}_feed_rss"] = home + "feeds/entries.rss"
        urls[f"{language}_not_found"] = home + "entries/no-such-entry/"
        version = Entry.objects.published().in_language(language).first()
        if version:
            urls[f"{language}_entry"] = version.get_absolute_url()
        translated = Topic.objects.in_language(language).order_by("slug").first()
        if translated:
            urls[f"{language}_topic"] = translated.get_absolute_url()
    return urls, entries[0]


def pages():
    urls, entry = public_urls()
    client = Client(HTTP_HOST="127.0.0.1")
    for name, url in urls.items():
        yield name, url, client.get(url)
    from django.urls import reverse

    preview = reverse("admin:entries_entry_preview", args=[entry.pk])
    yield "preview", preview, admin_client().get(preview)


def dump(response):
    head = f"{response.status_code} {response.get('Content-Type', '')}\n".encode()
    return head + response.content


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["save", "compare"])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    collect_static()
    args.directory.mkdir(parents=True, exist_ok=True)
    differ = 0
    for name, url, response in pages():
        path = args.directory / f"{name}.txt"
        body = dump(response)
        if args.action == "save":
            path.write_bytes(body)
            print(f"saved    {name:22} {url} ({response.status_code}, {len(body)} bytes)")
            continue
        before = path.read_bytes() if path.exists() else b""
        if before == body:
            print(f"same     {name:22} {url}")
            continue
        differ += 1
        print(f"DIFFERS  {name:22} {url}")
        sys.stdout.writelines(
            difflib.unified_diff(
                before.decode(errors="replace").splitlines(keepends=True),
                body.decode(errors="replace").splitlines(keepends=True),
                "before",
                "after",
                n=1,
            )
        )
    if differ:
        print(f"{differ} page(s) differ")
        sys.exit(1)


if __name__ == "__main__":
    main()

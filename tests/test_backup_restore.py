"""`make backup` / `make restore` round trip on a real SQLite database and media folder.

The management commands the Make targets run are started in subprocesses, against their own
temporary database, MEDIA_ROOT and BACKUP_DIR, exactly as an operator would run them.
"""

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)

MAKE_CONTENT = """
from datetime import UTC, datetime
from tests.factories import make_entry, make_image, make_topic
topic = make_topic("Trade", description="Tariffs\\n\\nand quotas")
entry = make_entry(
    headline="Before the backup", image=make_image(caption="Harbour \\u00e9"),
    pub_date=datetime(2024, 5, 1, 12, 0, 0, 654321, tzinfo=UTC), body="Tab\\there\\x0b.",
)
entry.topics.add(topic)
make_entry(status="draft")
"""
DAMAGE = """
from entries.models import Entry
Entry.objects.filter(headline="Before the backup").update(headline="Overwritten")
Entry.objects.filter(status="draft").delete()
import shutil
from django.conf import settings
shutil.rmtree(settings.MEDIA_ROOT)  # the photos and their renditions are lost
"""
FRENCH_CONTENT = """
from tests.factories import make_entry, make_image, make_topic, make_translation
trade = make_topic("Trade")
commerce = make_translation(trade, name="Commerce", description="Droits de douane")
photo = make_image(
    caption="Harbour", translations={"fr": {"caption": "Port \u00e9t\u00e9", "alt_text": "Grues"}}
)
english = make_entry(headline="Ships", image=photo)
english.topics.add(trade)
french = make_translation(english, headline="Navires \u00ab ici \u00bb", slug="navires")
french.topics.add(commerce)
make_translation(make_entry(status="draft"), slug="brouillon", status="draft")
english.headline = "Ships, updated"
english.save()  # the French version is now outdated
"""
SNAPSHOT = "\nfrom tests.snapshot import print_snapshot; print_snapshot()\n"


class Site:
    """One installation: its own SQLite file, media folder and backup folder."""

    def __init__(self, root, name):
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{root / f'{name}.sqlite3'}",
            "MEDIA_ROOT": str(root / f"{name}-media"),
            "BACKUP_DIR": str(root / "backups"),
            "DEBUG": "false",
            "SECRET_KEY": "backup-test-only",
        }

    def manage(self, *args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    def shell(self, code):
        return self.manage("shell", "--no-imports", "-c", code)

    def snapshot(self):
        return json.loads(self.shell(SNAPSHOT))


@pytest.fixture
def site(tmp_path):
    site = Site(tmp_path, "site")
    site.manage("migrate", "--noinput", "-v", "0")
    return site


def test_backup_and_restore_round_trip(site, tmp_path):
    """One story, since each step is a real process: back up, damage, restore, and restore
    into a fresh installation. Each restore gives back identical rows and files."""
    before = json.loads(site.shell(MAKE_CONTENT + SNAPSHOT))
    originals = [name for name in before["media"] if not name.startswith("renditions/")]
    assert len(originals) == 1 and len(before["database"]["entries.Entry"]) == 2

    site.manage("backup")
    dump, media = sorted(Path(site.env["BACKUP_DIR"]).iterdir())
    assert dump.name.startswith("newsroom-") and dump.name.endswith(".json")
    assert media.name == dump.name.removesuffix(".json") + ".media.tar.gz"
    labels = {row["model"] for row in json.loads(dump.read_text())}
    assert {"entries.entry", "entries.image", "entries.topic"} <= labels
    assert "sessions.session" not in labels
    with tarfile.open(media) as archive:
        assert any(name.endswith(".jpg") for name in archive.getnames())

    damaged = json.loads(site.shell(DAMAGE + SNAPSHOT))
    assert damaged["media"] == {} and damaged["database"] != before["database"]

    site.manage("restore", str(dump))
    assert site.snapshot() == before

    fresh = Site(tmp_path, "fresh")  # no database file, no media folder yet
    fresh.manage("restore", str(media))  # either file of the backup names it
    assert fresh.snapshot() == before


def test_backup_and_restore_keep_french_versions_topics_and_photo_texts(site, tmp_path):
    """Language versions come back linked to their stories and sources (outdated or not),
    topics in each language, and photos with their translated caption and alt text."""
    before = json.loads(site.shell(FRENCH_CONTENT + SNAPSHOT))
    entries = before["database"]["entries.Entry"]
    assert sorted(row["language"] for row in entries) == ["'en'", "'en'", "'fr'", "'fr'"]
    site.manage("backup")
    dump = next(Path(site.env["BACKUP_DIR"]).glob("*.json"))
    fresh = Site(tmp_path, "fresh")
    fresh.manage("restore", str(dump))
    assert fresh.snapshot() == before
    check = (
        "from entries.models import Entry, Image\n"
        "french = Entry.objects.get(language='fr', slug='navires')\n"
        "print(french.is_outdated, french.translation_source.headline,\n"
        "      french.translations().get().headline, french.topics.get().name,\n"
        "      Image.objects.get().text_in('caption', 'fr'))\n"
    )
    assert fresh.shell(check).split(maxsplit=1) == [
        "True",
        "Ships, updated Ships, updated Commerce Port \u00e9t\u00e9\n",
    ]


def test_make_targets_run_these_commands():
    dry = subprocess.run(
        ["make", "-n", "backup", "restore", "FILE=backups/x.json"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "manage.py backup" in dry
    assert 'manage.py restore "backups/x.json"' in dry


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    site = Site(tmp_path, "site")
    result = subprocess.run(
        [sys.executable, "manage.py", "restore", str(tmp_path / "notes.txt")],
        cwd=BASE_DIR,
        env=site.env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "is not a backup" in result.stderr

"""Files holding secrets are readable by their owner only, whatever the umask says.

A backup holds password hashes and unpublished drafts; `.env` holds the secret key.
"""

import os
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command

from .factories import make_entry, make_image

ROOT = Path(__file__).resolve().parent.parent


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def umask(value):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


# Transactional: on PostgreSQL the backup opens its own repeatable-read transaction.
@pytest.mark.django_db(transaction=True)
def test_backups_are_owner_only_files_in_an_owner_only_folder(tmp_path):
    make_entry(image=make_image())
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o755)
    with umask(0o022):
        call_command("backup", output_dir=str(folder), stdout=open(os.devnull, "w"))
    files = sorted(folder.iterdir())
    assert [path.name.split(".", 1)[1] for path in files] == ["json", "media.tar.gz"]
    assert all(path.stat().st_size > 0 for path in files)
    assert [mode(path) for path in files] == [0o600, 0o600]
    assert mode(folder) == 0o700


@pytest.mark.django_db(transaction=True)
def test_a_new_backup_folder_is_made_owner_only(tmp_path):
    folder = tmp_path / "new" / "backups"
    with umask(0o022):
        call_command("backup", output_dir=str(folder), stdout=open(os.devnull, "w"))
    assert mode(folder) == 0o700
    assert {mode(path) for path in folder.iterdir()} == {0o600}


def test_make_writes_env_with_its_secret_key_owner_only(tmp_path):
    with umask(0o022):
        result = subprocess.run(
            ["make", "-f", str(ROOT / "Makefile"), ".env", f"PYTHON={sys.executable}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    env = tmp_path / ".env"
    assert "SECRET_KEY=" in env.read_text()
    assert mode(env) == 0o600

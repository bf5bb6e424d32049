"""`make backup` / `make restore` with the photos in a bucket (moto's S3 server): the archive
holds every object, and a restore into a fresh bucket gives back every object byte for byte,
with its caching and type headers."""

import json
from pathlib import Path

from .s3 import s3_env
from .test_backup_restore import MAKE_CONTENT, SNAPSHOT, Site

MAKE_RENDITIONS = (
    "\nfrom entries.renditions import make_missing_renditions; make_missing_renditions()\n"
)


def test_a_backup_of_a_bucket_restores_into_a_fresh_bucket_byte_for_byte(tmp_path, s3_server):
    first, fresh = s3_server.new_bucket(), s3_server.new_bucket()
    site = Site(tmp_path, "site")
    site.env.update(s3_env(s3_server, first))
    site.manage("migrate", "--noinput", "-v", "0")
    before = json.loads(site.shell(MAKE_CONTENT + MAKE_RENDITIONS + SNAPSHOT))
    objects = s3_server.objects(first)
    assert len(objects) == 3  # the 64 px wide original and its renditions (WebP, JPEG)
    assert set(before["media"]) == set(objects)
    assert not Path(site.env["MEDIA_ROOT"]).exists()  # nothing on the local disk

    site.manage("backup")
    dump = next(Path(site.env["BACKUP_DIR"]).glob("*.json"))

    other = Site(tmp_path, "other")  # a new installation: no database, an empty bucket
    other.env.update(s3_env(s3_server, fresh))
    other.manage("restore", str(dump))
    assert other.snapshot() == before
    assert s3_server.objects(fresh) == objects
    client = s3_server.client()
    for key in objects:
        head = client.head_object(Bucket=fresh, Key=key)
        assert head["CacheControl"] == "public, max-age=31536000, immutable"
        assert head["ContentType"] in {"image/jpeg", "image/webp"}

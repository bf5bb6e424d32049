"""`manage.py move_media_to_bucket` on the demo: its 181 photos and their renditions go from
the disk into a bucket (moto's S3 server) byte for byte, a second run copies nothing, an
interrupted or damaged copy is finished by running it again, and the site then serves every
photo from the bucket."""

import json
import re
from pathlib import Path

from .s3 import s3_env
from .servers import get, gunicorn, production_env
from .test_backup_restore import SNAPSHOT, Site

MAKE_DEMO = (
    "from django.core.management import call_command; "
    "call_command('load_demo', verbosity=0); call_command('make_renditions', verbosity=0)"
)


def test_the_demo_moves_from_disk_to_a_bucket_resumably(tmp_path, s3_server, collected_static):
    bucket = s3_server.new_bucket()
    disk = Site(tmp_path, "site")
    disk.env["TASKS_BACKEND"] = "immediate"
    disk.manage("migrate", "--noinput", "-v", "0")
    disk.shell(MAKE_DEMO)
    on_disk = json.loads(disk.shell(SNAPSHOT))
    originals = [n for n in on_disk["media"] if n.startswith("images/")]
    renditions = [n for n in on_disk["media"] if n.startswith("renditions/")]
    assert len(originals) == 181 and len(on_disk["database"]["entries.Image"]) == 181
    assert len(renditions) >= 181 * 2

    moving = Site(tmp_path, "site")  # the same database and folder, the bucket configured
    moving.env.update(s3_env(s3_server, bucket))
    output = moving.manage("move_media_to_bucket")
    total = len(on_disk["media"])
    assert f"{total} files: {total} copied and verified, 0 already in the bucket." in output
    assert "Every file the database names is in the bucket." in output
    media_root = Path(disk.env["MEDIA_ROOT"])
    objects = s3_server.objects(bucket)
    assert sorted(objects) == sorted(on_disk["media"])
    assert all(objects[name] == (media_root / name).read_bytes() for name in objects)

    # Nothing to do the second time; an interrupted run (objects missing) or a damaged
    # object (other bytes under the name) is completed by running it again.
    assert f"0 copied and verified, {total} already" in moving.manage("move_media_to_bucket")
    client = s3_server.client()
    client.delete_object(Bucket=bucket, Key=originals[0])
    client.delete_object(Bucket=bucket, Key=renditions[0])
    client.put_object(Bucket=bucket, Key=originals[1], Body=b"not the photo")
    output = moving.manage("move_media_to_bucket")
    assert f"3 copied and verified, {total - 3} already in the bucket." in output
    for name in (originals[0], renditions[0], originals[1]):
        assert client.get_object(Bucket=bucket, Key=name)["Body"].read() == objects[name]
    head = client.head_object(Bucket=bucket, Key=originals[0])
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["ContentType"] == "image/jpeg"

    # The same database, served from the bucket: the listing's photos come from it.
    env = production_env(
        tmp_path,
        collected_static,
        DATABASE_URL=moving.env["DATABASE_URL"],
        MEDIA_ROOT=str(tmp_path / "empty-media"),
        **s3_env(s3_server, bucket),
    )
    with gunicorn(env, tmp_path / "site.log") as site:
        status, headers, html = get(site.url("/"))
        assert status == 200 and "181 Entries" in html
        photos = re.findall(r'<img src="([^"]+)"', html)
        assert len(photos) == 10
        assert all(url.startswith(f"{s3_server.endpoint}/{bucket}/renditions/") for url in photos)
        assert f"{s3_server.endpoint}/{bucket}/" in headers["Content-Security-Policy"]
        key = photos[0].removeprefix(f"{s3_server.endpoint}/{bucket}/")
        assert urlopen_bytes(photos[0]) == objects[key]


def urlopen_bytes(url):
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()

"""A real S3 API server for the tests: moto's standalone server (`moto[server]`) on a free
loopback port, one per test session, and a fresh bucket per test.

`s3_media` points the default storage at that bucket with the settings `MEDIA_STORAGE=s3`
gives (newsroom/settings.py); `s3_env(server, bucket)` is the same for subprocesses.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsroom.s3storage import public_read_policy

MOTO_SERVER = str(Path(sys.executable).parent / "moto_server")
REGION = "us-east-1"
# moto accepts any credentials; these only have to look like some.
ACCESS_KEY, SECRET_KEY = "testing-access-key", "testing-secret-key"


@dataclass
class S3Server:
    endpoint: str
    process: subprocess.Popen

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def new_bucket(self):
        """A bucket whose objects anyone may read (never list), as docs/deployment.md sets up."""
        name = f"newsroom-test-{secrets.token_hex(6)}"
        client = self.client()
        client.create_bucket(Bucket=name)
        client.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read_policy(name)))
        return name

    def objects(self, bucket):
        """{key: bytes} of every object in the bucket."""
        client = self.client()
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                found[item["Key"]] = body
        return found

    def keys(self, bucket):
        client = self.client()
        return sorted(
            item["Key"]
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        )


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [MOTO_SERVER, "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = S3Server(f"http://127.0.0.1:{port}", process)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(server.endpoint, timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "moto_server did not start\n" + log.read_text()
                time.sleep(0.1)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def bucket(s3_server):
    return s3_server.new_bucket()


def s3_settings(server, bucket):
    """The settings MEDIA_STORAGE=s3 makes (newsroom/settings.py), for this bucket."""
    return {
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": server.endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_CUSTOM_DOMAIN": None,
        "AWS_QUERYSTRING_AUTH": False,
        "AWS_DEFAULT_ACL": None,
        "AWS_S3_FILE_OVERWRITE": True,
        "AWS_S3_OBJECT_PARAMETERS": {"CacheControl": "public, max-age=31536000, immutable"},
        "MEDIA_URL": f"{server.endpoint}/{bucket}/",
    }


def s3_env(server, bucket):
    """Environment variables for a subprocess storing its media in `bucket`."""
    return {
        "MEDIA_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": server.endpoint,
        "AWS_S3_REGION_NAME": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
    }


@pytest.fixture
def s3_media(settings, s3_server, bucket):
    """The default storage is the test bucket (as with MEDIA_STORAGE=s3); yields the server."""
    for name, value in s3_settings(s3_server, bucket).items():
        setattr(settings, name, value)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "newsroom.s3storage.MediaS3Storage"},
    }
    s3_server.bucket = bucket
    return s3_server

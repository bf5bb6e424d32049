"""The S3-compatible bucket behind `MEDIA_STORAGE=s3` (AWS S3, Ceph, Garage, moto in the tests).

A module of its own so that sites on the local disk never import boto3.
"""

from storages.backends.s3 import S3Storage

from .storage import UnguessableNames, media_url


class MediaS3Storage(UnguessableNames, S3Storage):
    """Objects are written with a year-long `Cache-Control` and the content type of their name
    (settings.AWS_S3_OBJECT_PARAMETERS; django-storages guesses the type from the name). Names
    are never reused (`UnguessableNames`), so objects are written without an existence check
    first (AWS_S3_FILE_OVERWRITE) and may be cached for a year."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        # The public base URL (CDN, custom domain or the bucket itself), by string work only,
        # where django-storages would have botocore build each URL.
        return media_url(name)


def public_read_policy(bucket):
    """The bucket policy pages need: anyone may read an object by its name; nobody may list
    the bucket (names are unguessable, see newsroom/storage.py) or write without a key."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicReadObjects",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }

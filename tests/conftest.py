import os

import pytest

# The S3 API server fixtures (moto), for the object storage tests.
pytest_plugins = ["tests.s3"]


@pytest.fixture(autouse=True)
def isolated_files(settings, tmp_path):
    """Each test gets its own MEDIA_ROOT, and static files are served from the source folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests read the view's context, which a replayed page has not; the page cache's own
    # tests turn it on with the `page_cache` fixture.
    settings.PAGE_CACHE = False
    # Background tasks run at once where they are queued (after the commit); the real
    # worker has its own end-to-end test (tests/test_rendition_tasks.py).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def page_cache(settings, monkeypatch):
    settings.PAGE_CACHE = True
    # Changes reach the page cache when their transaction commits; a test's transaction never
    # does, so here each change counts as committed once its save returns, as with autocommit
    # (tests/test_change_records.py checks the real order on committed transactions).
    from newsroom import content_version

    monkeypatch.setattr(content_version, "after_commit", lambda func: func())


@pytest.fixture(autouse=True)
def empty_cache():
    """The local-memory cache outlives each test's database rollback; start each test empty."""
    from django.core.cache import cache

    from newsroom.content_version import version_store

    cache.clear()
    yield
    cache.clear()
    version_store().drop()  # kept outside the cache with the local-memory cache


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """`collectstatic` once into a scratch STATIC_ROOT, as a production deploy does."""
    from .servers import manage

    root = tmp_path_factory.mktemp("static")
    manage(
        {
            **os.environ,
            "DEBUG": "false",
            "SECRET_KEY": "collectstatic-only-secret-key-0123456789abcdefghij",
            "STATIC_ROOT": str(root),
        },
        "collectstatic",
        "--noinput",
    )
    return root


@pytest.fixture
def purges(settings):
    """A real HTTP server recording purges, set as the purge hook's only endpoint; its
    `changed(action)` runs `action` as committed work and returns the keys purged."""
    from newsroom import purge

    from .purge_server import PurgeServer

    with PurgeServer() as server:
        settings.CACHE_PURGE_URLS = [server.url]
        settings.CACHE_PURGE_STYLE = "xkey"
        yield server
        purge.wait()

import os
import secrets

import pytest

# The S3 API server fixtures (moto), for the object storage tests.
pytest_plugins = ["tests.s3"]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


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
    # A committed change's pages renew on a thread of their own, which sees only committed
    # rows; tests/test_page_renewal.py turns it on with committed transactions.
    settings.PAGE_RENEW_ON_COMMIT = False
    # Background tasks run at once where they are queued (after the commit); the real
    # worker has its own end-to-end test (tests/test_rendition_tasks.py).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True, scope="session")
def jinja2_renders_are_reported():
    """Django's test runner makes its own template engine report each template it renders and
    its context (`response.templates`, `response.context`); the same for the Jinja2 pages."""
    from django.template.backends.jinja2 import Template
    from django.test.signals import template_rendered

    render = Template.render

    def reported_render(self, context=None, request=None):
        context = {} if context is None else context
        html = render(self, context, request)
        template_rendered.send(sender=self, template=self.template, context=context)
        return html

    Template.render = reported_render
    yield
    Template.render = render


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


@pytest.fixture
def redis_page_cache(settings):
    """Redis as the shared cache, under a key prefix of this test's own; yields a client."""
    import redis

    prefix = f"pages-{secrets.token_hex(4)}"
    original = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.redis_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    }
    admin = redis.Redis.from_url(REDIS_URL)
    yield admin
    for key in admin.scan_iter(match=f"{prefix}:*"):
        admin.delete(key)
    settings.CACHES = original  # so the end-of-test clear empties local memory, not Redis


@pytest.fixture
def renders(monkeypatch):
    """The pages rendered off the readers' requests (in the background or renewed by the
    committing process), path and query, in order."""
    from newsroom import background_render

    rendered = []
    real = background_render.render

    def counted(app, environ):
        query = environ.get("QUERY_STRING")
        rendered.append(environ["PATH_INFO"] + (f"?{query}" if query else ""))
        real(app, environ)

    monkeypatch.setattr(background_render, "render", counted)
    yield rendered
    assert background_render.renderer.wait_until_idle(10)


@pytest.fixture
def held_renders(renders, monkeypatch):
    """Those renders wait until this event is set (at the end of the test anyway)."""
    import threading

    from newsroom import background_render

    gate = threading.Event()
    counted = background_render.render
    monkeypatch.setattr(
        background_render, "render", lambda app, environ: (gate.wait(10), counted(app, environ))
    )
    yield gate
    gate.set()

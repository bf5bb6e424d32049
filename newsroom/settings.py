"""Settings for newsroom, all read from the environment (and an optional `.env` file).

Every variable is documented in `.env.example`. Defaults suit a local checkout: SQLite in the
project folder, a local-memory cache, media on disk.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    # Values already in the process environment win over the file.
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or in .env "
            "(see .env.example); only DEBUG=true runs without one."
        )
    SECRET_KEY = "django-insecure-local-development-only"  # used only with DEBUG on

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Full-text search fields on PostgreSQL (harmless on SQLite); sitemap.xml templates.
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    # Admin login lockout (see the AXES_* settings below).
    "axes",
    # The entry body's editor toolkit (static files only; see entries/admin/editor.py).
    "django_prose_editor",
    # The database backend of Django's tasks framework: renditions off the request.
    "django_tasks_db",
    # Versions of entries and images: history, comparison, restore, deleted-entry recovery.
    "reversion",
    "entries",
]

MIDDLEWARE = [
    # Outermost, so it stores and replays the final headers (CSP, security, validators) of
    # public pages; newsroom.wsgi answers cached pages before Django's handler even starts.
    "newsroom.cache.PageCacheMiddleware",
    # Inside the page cache, so the cache-key headers it writes are stored with the page.
    "newsroom.surrogate.SurrogateKeyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "newsroom.csp.ContentSecurityPolicyMiddleware",
    # TRACE is 405 on every path, static files included (newsroom/request_guard.py).
    "newsroom.request_guard.RequestGuardMiddleware",
    # Right after SecurityMiddleware, as whitenoise asks, so static files skip the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous GET/HEAD requests of public pages take PUBLIC_MIDDLEWARE (below) instead of the
    # rest of this list (newsroom/public_chain.py); static files never get this far.
    "newsroom.public_chain.PublicChainMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language comes from the URL's prefix (none: the default), never from the request's
    # headers, so a page is one cache entry; the admin follows the editor's browser.
    "newsroom.i18n.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]
# Anonymous reads of public pages skip what only editors use: sessions, CSRF, the user,
# messages, the login lockout. PUBLIC_CHAIN=false sends every request the full way.
_EDITOR_MIDDLEWARE = {
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
}
_rest = MIDDLEWARE[MIDDLEWARE.index("newsroom.public_chain.PublicChainMiddleware") + 1 :]
PUBLIC_MIDDLEWARE = [m for m in _rest if m not in _EDITOR_MIDDLEWARE]
if not env.bool("PUBLIC_CHAIN", default=True):
    PUBLIC_MIDDLEWARE = []
# Paths whose requests always take the full chain, signed in or not: the admin (its login
# too), shared previews and the staff calendar feed.
FULL_CHAIN_PATHS = ["/admin/", "/preview/", "/calendar/"]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    # The public pages (templates/jinja2/): Jinja2 renders them several times faster than
    # Django's engine, with the same output (entries/templating.py). First, so looking up a
    # public page tries one engine.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "entries.templating.environment"},
    },
    # The admin, forms and filter widgets, and third-party apps' templates.
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Reuse connections between requests in production; health checks drop dead ones.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # `make run` serves SQLite from gunicorn and the task worker at once. A deferred transaction
    # that reads, then writes, fails at once with "database is locked" when the other process
    # holds the write lock (SQLite cannot wait there); taking the lock at BEGIN waits instead.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that looks at the socket before asking the server.
    DATABASES["default"]["ENGINE"] = "newsroom.postgresql"
    # Prepared statements: parameters bound by the server, so a query the site runs again and
    # again (every public page's) is parsed and planned once per connection, not per request.
    # Off for a pooler in transaction mode (PgBouncer without max_prepared_statements).
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=2
        )

_cache = env.cache("CACHE_URL", default="locmemcache://newsroom")
if env.str("CACHE_URL", default="").startswith(("redis://", "rediss://")):
    # Django's own Redis backend (django-environ would pick django-redis), behind a circuit
    # breaker (newsroom/redis_cache.py). Short timeouts so an unreachable Redis degrades to
    # serving from the database, and after a few failures it is skipped altogether.
    _cache["BACKEND"] = "newsroom.redis_cache.ResilientRedisCache"
    # django-environ lower-cases `?key_prefix=`/`?timeout=` for this backend; Django wants them
    # upper-case at the top level.
    for _option in ("key_prefix", "timeout", "version"):
        if _option in _cache:
            _cache[_option.upper()] = _cache.pop(_option)
    _cache.setdefault("OPTIONS", {})
    _cache["OPTIONS"].setdefault("socket_connect_timeout", 0.5)
    _cache["OPTIONS"].setdefault("socket_timeout", 0.5)
if _cache["BACKEND"].endswith("LocMemCache"):
    # The default 300 entries would cull old pages and counts too eagerly.
    _cache.setdefault("OPTIONS", {}).setdefault("MAX_ENTRIES", 10_000)
CACHES = {"default": _cache}

# The page cache in front of the public pages (newsroom/cache.py); off for measurements.
PAGE_CACHE = env.bool("PAGE_CACHE", default=True)
# Seconds a stored page is kept (keys carry the content version, so this only bounds memory).
PAGE_CACHE_SECONDS = env.int("PAGE_CACHE_SECONDS", default=600)
# With the local-memory cache (each process its own), the content version is shared through
# this memory-mapped file instead, so a change made by any process (worker, shell, command) is
# seen by every worker at its next request. Empty: one file per database under var/.
PAGE_CACHE_VERSION_FILE = env.str("PAGE_CACHE_VERSION_FILE", default="")
# Cache-Control on public pages: browsers revalidate (ETag), shared caches may keep s-maxage.
PAGE_MAX_AGE = env.int("PAGE_MAX_AGE", default=0)
PAGE_S_MAXAGE = env.int("PAGE_S_MAXAGE", default=60)
# Seconds a shared cache may serve an expired page while it fetches a new one, and while the
# app is failing (Cache-Control stale-while-revalidate / stale-if-error).
PAGE_STALE_WHILE_REVALIDATE = env.int("PAGE_STALE_WHILE_REVALIDATE", default=5)
PAGE_STALE_IF_ERROR = env.int("PAGE_STALE_IF_ERROR", default=86_400)
# Off by default: the first reader to find a cached page changed renders it, so the next
# request after a change shows it. On: that reader is answered the stored copy too and the new
# version renders on a thread of its own (newsroom/background_render.py), which keeps renders
# out of readers' response times under load, at the price of that read-after-write promise.
PAGE_RENDER_IN_BACKGROUND = env.bool("PAGE_RENDER_IN_BACKGROUND", default=False)
# With Redis: the process that commits a change renders the pages it changed (on its renderer
# thread, newsroom/page_renewal.py) while readers are answered the stored copies, so a publish
# sends no renders through the workers answering readers.
PAGE_RENEW_ON_COMMIT = env.bool("PAGE_RENEW_ON_COMMIT", default=True)
# Response headers carrying a public page's cache keys (newsroom/surrogate.py).
SURROGATE_KEY_HEADERS = env.list("SURROGATE_KEY_HEADERS", default=["xkey", "Cache-Tag"])

# The purge hook (newsroom/purge.py): the HTTP caches in front, purged by key on commit.
CACHE_PURGE_URLS = env.list("CACHE_PURGE_URL", default=[])
CACHE_PURGE_STYLE = env.str("CACHE_PURGE_STYLE", default="xkey")
if CACHE_PURGE_STYLE not in ("xkey", "surrogate-key", "cache-tag"):
    raise ImproperlyConfigured("CACHE_PURGE_STYLE must be xkey, surrogate-key or cache-tag.")
CACHE_PURGE_HEADER = env.str("CACHE_PURGE_HEADER", default="")
CACHE_PURGE_TOKEN = env.str("CACHE_PURGE_TOKEN", default="")
CACHE_PURGE_TOKEN_HEADER = env.str("CACHE_PURGE_TOKEN_HEADER", default="Authorization")
CACHE_PURGE_TIMEOUT = env.float("CACHE_PURGE_TIMEOUT", default=2.0)
CACHE_PURGE_ATTEMPTS = env.int("CACHE_PURGE_ATTEMPTS", default=4)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses locked-out logins before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "newsroom.auth_backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Admin login lockout: 5 failures for one username, or from one address, lock that username
# or address out for 15 minutes; a successful login clears its failures.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one locks, separately
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client address: REMOTE_ADDR, or behind a proxy the header that proxy sets (and that
# clients cannot forge), e.g. CLIENT_IP_HEADER=X-Forwarded-For. See newsroom/client_ip.py.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", default="")
AXES_CLIENT_IP_CALLABLE = "newsroom.client_ip.client_ip"

# The site's languages. The first is the default: its pages have no prefix (`/`), the others
# live under theirs (`/fr/`). Adding one is a line here (or LANGUAGES=en,fr,ru in the
# environment), `makemessages -l ru`, translating locale/ru/LC_MESSAGES/django.po, and a
# PostgreSQL text search configuration name in SEARCH_CONFIGS below (README, "Languages").
LANGUAGES = [
    (code, LANG_INFO[code]["name_local"]) for code in env.list("LANGUAGES", default=["en", "fr"])
]
LANGUAGE_CODE = LANGUAGES[0][0]
LOCALE_PATHS = [BASE_DIR / "locale"]
# News-style dates and the photo line's KB figure per language (newsroom/formats/<code>/).
FORMAT_MODULE_PATH = ["newsroom.formats"]
USE_I18N = True
# The PostgreSQL text search configuration each language's search stems with: entries are
# indexed with their own language's, a query uses the page's. Each becomes `newsroom_<code>`,
# a copy that also ignores accents (`securite` finds `sécurité`); a language missing here gets
# "simple" (no stemming). Applied by `manage.py migrate` (entries.search_configs).
SEARCH_CONFIGS = {"en": "english", "fr": "french"}
# Open Graph wants a territory (`fr_FR`); a language missing here gets its bare locale.
OG_LOCALES = {"en": "en_GB", "fr": "fr_FR", "ru": "ru_RU", "uk": "uk_UA"}
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Brussels")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# The manifest of hashed names lives outside STATIC_ROOT, so it is never served.
STATIC_MANIFEST_ROOT = env.path("STATIC_MANIFEST_ROOT", default=f"{STATIC_ROOT}-manifest")
STATICFILES_DIRS = [BASE_DIR / "static"]

MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Let the app itself serve MEDIA_ROOT (local runs); in production a proxy or object storage does.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=False)

STORAGES = {
    # Every upload gets an unguessable, never-reused name (newsroom/storage.py).
    "default": {"BACKEND": "newsroom.storage.MediaFileSystemStorage"},
    "staticfiles": {"BACKEND": "newsroom.static_storage.StaticFilesStorage"},
}

# Uploaded photos and their renditions: on the local disk (MEDIA_ROOT), or with `s3` in an
# S3-compatible bucket through django-storages, so instances on several machines share them
# (docs/deployment.md). The AWS_* names are django-storages' own.
MEDIA_STORAGE = env.str("MEDIA_STORAGE", default="") or "filesystem"
if MEDIA_STORAGE not in ("filesystem", "s3"):
    raise ImproperlyConfigured("MEDIA_STORAGE must be `filesystem` or `s3`.")
if MEDIA_STORAGE == "s3":
    AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
    if not AWS_STORAGE_BUCKET_NAME:
        raise ImproperlyConfigured("MEDIA_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME.")
    AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default="") or None
    AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="") or None
    # Without them boto3 finds credentials itself (instance role, ~/.aws, its own variables).
    AWS_ACCESS_KEY_ID = env.str("AWS_ACCESS_KEY_ID", default="") or None
    AWS_SECRET_ACCESS_KEY = env.str("AWS_SECRET_ACCESS_KEY", default="") or None
    AWS_S3_CUSTOM_DOMAIN = env.str("AWS_S3_CUSTOM_DOMAIN", default="") or None
    # Objects are public (the bucket policy allows anonymous GetObject, never listing) and
    # pages link them by their public URL: no signed URLs to compute per render.
    AWS_QUERYSTRING_AUTH = False
    AWS_DEFAULT_ACL = None
    # Names carry a random folder and are never reused: no existence check before a write,
    # and every object may be cached for a year.
    AWS_S3_FILE_OVERWRITE = True
    AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "public, max-age=31536000, immutable"}
    STORAGES["default"] = {"BACKEND": "newsroom.s3storage.MediaS3Storage"}
    # The public base URL of the objects: the CDN or custom domain, else the bucket itself
    # (path style, which every S3-compatible service answers).
    if AWS_S3_CUSTOM_DOMAIN:
        MEDIA_URL = f"https://{AWS_S3_CUSTOM_DOMAIN.rstrip('/')}/"
    elif AWS_S3_ENDPOINT_URL:
        MEDIA_URL = f"{AWS_S3_ENDPOINT_URL.rstrip('/')}/{AWS_STORAGE_BUCKET_NAME}/"
    else:
        MEDIA_URL = f"https://{AWS_STORAGE_BUCKET_NAME}.s3.amazonaws.com/"

# dumpdata/loaddata (and so backups) keep times to the microsecond; Django's own JSON cuts them
# to milliseconds. See newsroom/serializers/exact_json.py.
SERIALIZATION_MODULES = {"json": "newsroom.serializers.exact_json"}

# Background tasks (Django's tasks framework): `database` queues them in the database for
# `manage.py db_worker` (django-tasks-db; `make run` starts one beside gunicorn), `immediate`
# runs them in the process that queues them, at once (tests, one-off scripts).
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
TASKS_BACKEND = env.str("TASKS_BACKEND", default="") or "database"
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured("TASKS_BACKEND must be `database` or `immediate`.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND]}}

# Where `make backup` (manage.py backup) writes database dumps and media archives.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "backups")

ENTRIES_PER_PAGE = env.int("ENTRIES_PER_PAGE", default=10)

# Shareable previews (/preview/<token>/): after this many unknown tokens from one address
# within PREVIEW_GUESS_WINDOW seconds, that address gets 429s until the window ends.
PREVIEW_GUESS_LIMIT = env.int("PREVIEW_GUESS_LIMIT", default=20)
PREVIEW_GUESS_WINDOW = env.int("PREVIEW_GUESS_WINDOW", default=600)

# Uploaded images: the largest file accepted, and the most pixels (width x height). The pixel
# limit is checked from the header before decoding, so a "decompression bomb" is refused.
MAX_UPLOAD_MB = env.int("MAX_UPLOAD_MB", default=20)
MAX_IMAGE_PIXELS = env.int("MAX_IMAGE_PIXELS", default=50_000_000)
# Small uploads stay in memory; larger ones go to a temporary file that stops growing at
# MAX_UPLOAD_MB (the form then refuses them by size).
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "entries.uploads.SizeLimitedTemporaryFileUploadHandler",
]

# Security headers and cookies. `HTTPS=true` (production) turns on the HTTPS-only settings.
HTTPS = env.bool("HTTPS", default=False)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
# The admin never reads the CSRF cookie from JavaScript (it uses the form field).
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
# On with HTTPS so `check --deploy` is clean; submitting to the preload list stays a choice.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy: `SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https`.
_proxy_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_header:
    if len(_proxy_header) != 2:
        raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must be `HEADER,value`.")
    SECURE_PROXY_SSL_HEADER = tuple(_proxy_header)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Content-Security-Policy (Django's own middleware): no inline scripts or styles anywhere,
# the site's own static files and media only. The Django admin works under it.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # Photos come from the bucket or its CDN with MEDIA_STORAGE=s3.
    "img-src": [CSP.SELF, "data:", *([MEDIA_URL] if MEDIA_URL.startswith("http") else [])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Bad Host headers and path traversal attempts: one line each, at most 10 a minute per
    # kind, instead of a traceback each (newsroom/log_filters.py).
    "filters": {"security_events": {"()": "newsroom.log_filters.SecurityEventFilter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "security": {"class": "logging.StreamHandler", "filters": ["security_events"]},
    },
    "loggers": {"django.security": {"handlers": ["security"], "propagate": False}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}

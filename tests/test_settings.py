import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_django(**env):
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_off_without_secret_key_fails_clearly():
    result = run_django(DEBUG="false", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_on_runs_without_secret_key():
    assert run_django(DEBUG="true", SECRET_KEY="").returncode == 0


def test_production_values_load():
    assert run_django(DEBUG="false", SECRET_KEY="x" * 50).returncode == 0


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k7Qp2vXr9LmN4sTb8YcW1zHf6JdG3aEu5RoPiK0lVnMqBxCyDw",
    "ALLOWED_HOSTS": "news.example.org",
    "HTTPS": "true",
}


def print_settings(names, **env):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(repr([getattr(settings, n, None) for n in {names!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return eval(result.stdout)  # our own repr of plain values


def test_check_deploy_is_clean_with_production_values():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        # The browser tests' conftest sets DJANGO_ALLOW_ASYNC_UNSAFE in this process; a
        # production environment never has it.
        env={**os.environ, **PRODUCTION, "DJANGO_ALLOW_ASYNC_UNSAFE": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_cookies_are_secure_and_http_only():
    names = [
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_HTTPONLY",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
    ]
    assert print_settings(names, **PRODUCTION) == [True, True, True, True, True, 31_536_000]


def test_hsts_is_configurable():
    assert print_settings(["SECURE_HSTS_SECONDS"], **PRODUCTION, SECURE_HSTS_SECONDS="600") == [600]


def test_proxy_header_and_trusted_origins_come_from_the_environment():
    values = print_settings(
        ["SECURE_PROXY_SSL_HEADER", "CSRF_TRUSTED_ORIGINS"],
        **PRODUCTION,
        SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        CSRF_TRUSTED_ORIGINS="https://news.example.org,https://www.news.example.org",
    )
    assert values == [
        ("HTTP_X_FORWARDED_PROTO", "https"),
        ["https://news.example.org", "https://www.news.example.org"],
    ]


def test_redis_cache_url_uses_djangos_own_backend_behind_a_circuit_breaker():
    from django.core.cache.backends.redis import RedisCache

    from newsroom.redis_cache import ResilientRedisCache

    (caches,) = print_settings(["CACHES"], **PRODUCTION, CACHE_URL="redis://127.0.0.1:6379/3")
    assert caches["default"]["BACKEND"] == "newsroom.redis_cache.ResilientRedisCache"
    assert issubclass(ResilientRedisCache, RedisCache)
    assert caches["default"]["LOCATION"] == "redis://127.0.0.1:6379/3"


def test_postgresql_prepares_statements_unless_a_pooler_forbids_them():
    database = "postgres://postgres@127.0.0.1:5432/unused"
    [prepared] = print_settings(["DATABASES"], DATABASE_URL=database)
    assert prepared["default"]["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 2}
    [pooled] = print_settings(
        ["DATABASES"], DATABASE_URL=database, DATABASE_PREPARED_STATEMENTS="false"
    )
    assert "prepare_threshold" not in pooled["default"].get("OPTIONS", {})
    assert "server_side_binding" not in pooled["default"].get("OPTIONS", {})

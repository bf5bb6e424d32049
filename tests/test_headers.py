"""Security headers on every response, and the production cookie flags."""

import pytest
from django.test import override_settings

from .factories import make_entry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache")]


@pytest.mark.parametrize("path", ["/", "/entry-missing/", "/admin/login/", "/healthz"])
def test_every_response_carries_the_security_headers(client, path):
    make_entry()
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_entry_page_has_the_headers_too(client):
    entry = make_entry()
    response = client.get(entry.get_absolute_url())
    assert "Content-Security-Policy" in response
    assert response["X-Frame-Options"] == "DENY"


@override_settings(SECURE_HSTS_SECONDS=3600, SECURE_HSTS_INCLUDE_SUBDOMAINS=True)
def test_hsts_is_sent_on_https(client):
    make_entry()
    assert client.get("/", secure=True)["Strict-Transport-Security"] == (
        "max-age=3600; includeSubDomains"
    )
    assert "Strict-Transport-Security" not in client.get("/")


def test_csrf_cookie_of_the_admin_login_is_http_only(client):
    response = client.get("/admin/login/")
    assert response.cookies["csrftoken"]["httponly"]

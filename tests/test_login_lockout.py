"""Admin login brute force: 5 failures per username or per address lock it out for 15 minutes."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from newsroom.client_ip import client_ip

LOGIN = reverse("admin:login")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def editor(db):
    return get_user_model().objects.create_user(
        "editor", password=PASSWORD, is_staff=True, is_superuser=True
    )


def attempt(client, username, password, ip="203.0.113.7"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def fail(client, username, times, ip="203.0.113.7"):
    for _ in range(times):
        response = attempt(client, username, "wrong password", ip)
    return response


def test_four_failures_still_show_the_login_form(client, editor):
    response = fail(client, "editor", 4)
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.text
    assert attempt(client, "editor", PASSWORD).status_code == 302


def test_fifth_failure_locks_the_username_with_a_clear_message(client, editor):
    response = fail(client, "editor", 5)
    assert response.status_code == 429
    assert "Sign-in locked" in response.text
    assert "Too many failed sign-in attempts (5)" in response.text
    assert "refused for 15 minutes" in response.text


def test_locked_username_is_refused_even_with_the_right_password_from_elsewhere(client, editor):
    fail(client, "editor", 5, ip="203.0.113.7")
    response = attempt(Client(), "editor", PASSWORD, ip="198.51.100.20")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_address_trying_many_usernames_is_locked_out(client, editor):
    for n in range(5):
        attempt(client, f"guess{n}", "wrong password", ip="203.0.113.9")
    # The address is locked, so even the real editor cannot sign in from it...
    assert attempt(Client(), "editor", PASSWORD, ip="203.0.113.9").status_code == 429
    # ...while the editor, whose own username has no failures, can from another address.
    assert attempt(Client(), "editor", PASSWORD, ip="198.51.100.20").status_code == 302


def test_a_successful_login_resets_the_failures(client, editor):
    fail(client, "editor", 4)
    assert attempt(client, "editor", PASSWORD).status_code == 302
    client.logout()
    # Counting starts again: four more failures do not lock the account.
    response = fail(client, "editor", 4)
    assert response.status_code == 200
    assert attempt(client, "editor", PASSWORD).status_code == 302


def test_lock_lifts_after_the_cool_off(client, editor):
    fail(client, "editor", 5)
    assert attempt(client, "editor", PASSWORD).status_code == 429
    # Fifteen minutes pass (a failure during the lock restarts the wait, so age all of them).
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))
    assert attempt(client, "editor", PASSWORD).status_code == 302


def test_lock_holds_just_before_the_cool_off_ends(client, editor):
    fail(client, "editor", 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert attempt(client, "editor", PASSWORD).status_code == 429


def test_axes_reset_command_lifts_the_lock(client, editor):
    fail(client, "editor", 5)
    call_command("axes_reset_username", "editor", verbosity=0)
    call_command("axes_reset_ip", "203.0.113.7", verbosity=0)
    assert attempt(client, "editor", PASSWORD).status_code == 302


class TestClientAddress:
    def test_without_a_configured_header_forwarded_addresses_are_ignored(self, rf, settings):
        settings.CLIENT_IP_HEADER = ""
        request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
        assert client_ip(request) == "10.0.0.1"

    def test_behind_a_proxy_the_address_the_proxy_appended_counts(self, rf, settings):
        settings.CLIENT_IP_HEADER = "X-Forwarded-For"
        # A client forged "1.2.3.4"; the proxy appended the address it really saw.
        request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50")
        assert client_ip(request) == "203.0.113.50"

    def test_a_malformed_header_falls_back_to_the_connection(self, rf, settings):
        settings.CLIENT_IP_HEADER = "X-Real-IP"
        request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="not an address")
        assert client_ip(request) == "10.0.0.1"

    def test_lockout_follows_the_forwarded_address(self, client, editor, settings):
        settings.CLIENT_IP_HEADER = "X-Forwarded-For"
        for n in range(5):
            client.post(
                LOGIN,
                {"username": f"guess{n}", "password": "x"},
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR="203.0.113.66",
            )
        # Another client behind the same proxy is not locked out.
        response = Client().post(
            LOGIN,
            {"username": "editor", "password": PASSWORD},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="198.51.100.3",
        )
        assert response.status_code == 302


def test_sign_in_without_a_request_still_works(client, editor):
    """The test client's login() and scripts authenticate without a request: not counted."""
    assert client.login(username="editor", password=PASSWORD)
    assert not Client().login(username="editor", password="wrong password")
    assert AccessAttempt.objects.count() == 0

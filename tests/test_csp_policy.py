"""The Content-Security-Policy header, built once per configuration (newsroom/csp.py), stays
what Django's own middleware would send: the settings' policy, a view's override, a nonce."""

from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.test import RequestFactory, override_settings
from django.utils.csp import CSP, build_policy
from django.views.decorators.csp import csp_override

from newsroom.csp import ContentSecurityPolicyMiddleware


def respond(view):
    middleware = ContentSecurityPolicyMiddleware(view)
    return middleware(RequestFactory().get("/"))


def plain(request):
    return HttpResponse("page")


def test_the_header_is_the_settings_policy_and_follows_a_change_of_settings(settings):
    assert respond(plain)["Content-Security-Policy"] == build_policy(settings.SECURE_CSP)
    narrower = {**settings.SECURE_CSP, "img-src": [CSP.SELF]}
    with override_settings(SECURE_CSP=narrower):
        assert respond(plain)["Content-Security-Policy"] == build_policy(narrower)
    assert respond(plain)["Content-Security-Policy"] == build_policy(settings.SECURE_CSP)


def test_a_view_with_a_policy_of_its_own_gets_its_own_header(settings):
    own = {"default-src": [CSP.NONE]}
    overridden = csp_override(own)(plain)
    assert respond(overridden)["Content-Security-Policy"] == "default-src 'none'"
    assert respond(plain)["Content-Security-Policy"] == build_policy(settings.SECURE_CSP)


def test_a_used_nonce_is_in_that_response_only(settings):
    with_nonce = {**settings.SECURE_CSP, "script-src": [CSP.SELF, CSP.NONCE]}

    def reads_the_nonce(request):
        # What the csp() context processor hands a template.
        return HttpResponse(f"<script nonce='{get_nonce(request)}'></script>")

    with override_settings(SECURE_CSP=with_nonce):
        response = respond(reads_the_nonce)
        nonce = response.content.decode().split("'")[1]
        assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
        # A later response that used no nonce is not sent the earlier one.
        assert "nonce-" not in respond(plain)["Content-Security-Policy"]
        assert respond(plain)["Content-Security-Policy"] == build_policy(with_nonce)

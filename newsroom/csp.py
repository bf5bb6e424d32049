"""Django's Content-Security-Policy middleware, with each policy header built once.

Django builds the header from its settings on every response (eleven directives, a list each).
Without a nonce in it (none is used unless something reads `request._csp_nonce`, and no public
page does), the header depends on the configuration alone, so it is built the first time and
reused while the configuration is the same object; a response with a configuration of its own
(Django's `csp_override` decorators) or a used nonce is built as Django builds it.
"""

from django.conf import settings
from django.core.signals import setting_changed
from django.middleware import csp
from django.utils.csp import build_policy

# id(configuration) -> (configuration, header value); kept small: settings and a few overrides.
_built = {}


def _policy(config, nonce):
    if nonce:
        return build_policy(config, nonce)
    found = _built.get(id(config))
    if found is not None and found[0] is config:
        return found[1]
    if len(_built) > 16:
        _built.clear()
    policy = build_policy(config)
    _built[id(config)] = (config, policy)
    return policy


def _forget(setting, **kwargs):
    if setting.startswith("SECURE_CSP"):
        _built.clear()


setting_changed.connect(_forget)


class ContentSecurityPolicyMiddleware(csp.ContentSecurityPolicyMiddleware):
    def process_response(self, request, response):
        # As Django's (django/middleware/csp.py), with `_policy` for `build_policy`.
        nonce = csp.get_nonce(request)
        sentinel = object()
        if (csp_config := getattr(response, "_csp_config", sentinel)) is sentinel:
            csp_config = settings.SECURE_CSP
        if (csp_ro_config := getattr(response, "_csp_ro_config", sentinel)) is sentinel:
            csp_ro_config = settings.SECURE_CSP_REPORT_ONLY
        for header, config in (
            (csp.CSP.HEADER_ENFORCE, csp_config),
            (csp.CSP.HEADER_REPORT_ONLY, csp_ro_config),
        ):
            if config and header not in response:
                response.headers[str(header)] = _policy(config, nonce)
        return response

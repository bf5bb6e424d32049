"""The address a request comes from, for the login lockout (django-axes)."""

import ipaddress

from django.conf import settings


def client_ip(request):
    """REMOTE_ADDR, or the last address in the trusted proxy's header when one is configured.

    Behind a reverse proxy every request arrives from the proxy's own address, so the lockout
    would lock everyone out at once. The proxy names the real client in a header
    (CLIENT_IP_HEADER, e.g. X-Forwarded-For or X-Real-IP). A client can send that header too,
    but the proxy appends the address it really saw, so the right-most entry is the one to trust.
    Without the setting the header is ignored: trusting it would let anyone pick their address.
    """
    header = settings.CLIENT_IP_HEADER
    if header:
        meta_key = "HTTP_" + header.upper().replace("-", "_")
        value = request.META.get(meta_key, "").split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            pass  # missing or malformed: fall back to the connection's address
    return request.META.get("REMOTE_ADDR")

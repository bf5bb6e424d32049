"""A real HTTP client for the admin of a server in a subprocess: cookies, CSRF, uploads."""

import http.cookiejar
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 302 itself is the answer


class AdminClient:
    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects
        )

    def request(self, path, data=None, headers=None):
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers or {})
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode(errors="replace")

    def csrf_token(self, path):
        status, _, html = self.request(path)
        assert status == 200, (path, status)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]

    def login(self, username, password):
        token = self.csrf_token("/admin/login/")
        fields = {
            "csrfmiddlewaretoken": token,
            "username": username,
            "password": password,
            "next": "/admin/",
        }
        status, headers, _ = self.request("/admin/login/", urllib.parse.urlencode(fields).encode())
        assert status == 302 and headers["Location"] == "/admin/", status

    def post_form(self, path, fields, files=None):
        """POST a form as multipart/form-data, with the CSRF token of the page at `path`."""
        fields = {"csrfmiddlewaretoken": self.csrf_token(path), **fields}
        boundary = secrets.token_hex(16)
        parts = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n".encode()
            )
        for name, (filename, content, content_type) in (files or {}).items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                + content
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request(
            path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )

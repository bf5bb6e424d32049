"""An editor signed in to a real server's admin, submitting its forms as a browser would."""

import html.parser
import http.cookiejar
import urllib.parse
import urllib.request

PASSWORD = "a-long-admin-password-for-tests"


class FormFields(html.parser.HTMLParser):
    """The named inputs of a page's forms with their values, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "file"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.fields[attrs["name"]] = attrs.get("value") or ""


class AdminSession:
    def __init__(self, server, username="chief"):
        self.server = server
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = self.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD})
        assert "Log out" in page or "logout" in page, page

    def fields(self, path):
        with self.opener.open(self.server.url(path), timeout=10) as response:
            parser = FormFields()
            parser.feed(response.read().decode())
            return parser.fields

    def post(self, path, data):
        form = {**self.fields(path), **data}
        request = urllib.request.Request(
            self.server.url(path),
            data=urllib.parse.urlencode(form, doseq=True).encode(),
            headers={"Referer": self.server.url(path)},
        )
        with self.opener.open(request, timeout=10) as response:
            assert response.status == 200
            text = response.read().decode()
        assert "errornote" not in text and "errorlist" not in text, text
        return text

"""The visible text of a page, as a reader sees it."""

from html.parser import HTMLParser

# Elements whose text is not part of the page's content.
SKIPPED = {"head", "script", "style", "template", "header", "footer", "nav", "form"}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack = []
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in self.stack:
            while self.stack.pop() != tag:
                pass

    def handle_data(self, data):
        if not SKIPPED.intersection(self.stack):
            self.parts.append(data)


def normalise(text):
    return " ".join(text.split())


def visible_text(html):
    """Text outside header, footer, nav and form elements, whitespace normalised."""
    parser = _VisibleText()
    parser.feed(html)
    return normalise(" ".join(parser.parts))

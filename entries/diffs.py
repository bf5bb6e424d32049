"""Two versions of an entry side by side: a word diff of the text, old and new for the rest."""

import re
from difflib import SequenceMatcher

from .dates import editor_datetime
from .models import Entry, Image, Topic

# Words, runs of white space and single punctuation marks: a changed comma shows as a comma.
_TOKENS = re.compile(r"\s+|\w+|[^\w\s]")
WORD_DIFFED = ("headline", "summary", "body")
LABELS = {
    "headline": "Headline",
    "slug": "Slug",
    "summary": "Summary",
    "body": "Body",
    "image": "Photo",
    "topics": "Topics",
    "status": "Status",
    "pub_date": "Publication date",
    "planned_date": "Planned date",
    "caption": "Caption",
    "alt_text": "Alt text",
    "decorative": "Decorative",
    "credit": "Credit",
}


def word_diff(old, new):
    """[(kind, text)] with kind "same", "removed" or "added", in reading order."""
    before, after = _TOKENS.findall(old or ""), _TOKENS.findall(new or "")
    chunks = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            chunks.append(("same", "".join(before[i1:i2])))
            continue
        if i2 > i1:
            chunks.append(("removed", "".join(before[i1:i2])))
        if j2 > j1:
            chunks.append(("added", "".join(after[j1:j2])))
    return chunks


def compare_rows(older, newer, fields):
    """One row per field: its label, whether it changed, and either the word diff or the old
    and new values as an editor reads them (photo names, topic names, dates)."""
    names = _Names(older, newer)
    rows = []
    for name in fields:
        attname = "image_id" if name == "image" else name
        before, after = older.get(attname), newer.get(attname)
        if name == "topics":
            before, after = sorted(before or []), sorted(after or [])
        row = {"name": name, "label": LABELS.get(name, name), "changed": before != after}
        if name in WORD_DIFFED:
            row["chunks"] = word_diff(before, after)
        else:
            row["old"], row["new"] = names.show(name, before), names.show(name, after)
        rows.append(row)
    return rows


class _Names:
    """Looks up the photos and topics both versions mention, once."""

    def __init__(self, *dicts):
        self.images = Image.objects.in_bulk({d["image_id"] for d in dicts if d.get("image_id")})
        self.topics = Topic.objects.in_bulk({pk for d in dicts for pk in d.get("topics") or ()})

    def show(self, name, value):
        if name == "image":
            if value is None:
                return "No photo"
            image = self.images.get(value)
            return image.public_line if image else f"A deleted image (#{value})"
        if name == "topics":
            names = [self.topics[pk].name for pk in value if pk in self.topics]
            return ", ".join(names) or "No topics"
        if name == "status":
            return Entry.Status(value).label if value in Entry.Status.values else value
        if name in ("pub_date", "planned_date"):
            return editor_datetime(value) if value else "Not set"
        if isinstance(value, bool):
            return "Yes" if value else "No"
        return value if value not in (None, "") else "(empty)"

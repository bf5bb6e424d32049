"""The entries app's models, one module per concept: entries, topics, photos. The article's
and the editorial desk's models live beside the code that uses them, imported last (they
import these)."""

# ruff: noqa: I001
from .entry import RELATED_ENTRIES, Entry, EntryQuerySet
from .images import Image, Rendition, RenditionSource, RenditionStatus
from .topics import Topic, TopicQuerySet

from ..articles import BodyImage, OldSlug
from ..deletions import DeletedEntry
from ..previews import PreviewLink
from ..schedule import CalendarFeed

__all__ = [
    "RELATED_ENTRIES",
    "BodyImage",
    "CalendarFeed",
    "DeletedEntry",
    "Entry",
    "EntryQuerySet",
    "Image",
    "OldSlug",
    "PreviewLink",
    "Rendition",
    "RenditionSource",
    "RenditionStatus",
    "Topic",
    "TopicQuerySet",
]

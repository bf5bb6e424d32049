"""Pieces shared by the entry and image admins."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.html import format_html


class CappedCountPaginator(Paginator):
    """Counts at most `count_limit` rows, so a changelist page never counts a whole big table.

    The count runs as `SELECT COUNT(*) FROM (... LIMIT count_limit + 1)`. Past the limit the
    changelist offers the first `count_limit` rows' pages and says "more than"; search,
    filters and the date bar narrow it down.
    """

    count_limit = 10_000

    @cached_property
    def count(self):
        rows = self.object_list
        if hasattr(rows, "values"):
            # Only the ids: the columns' annotations (languages, outdated) need not run for
            # rows that are only counted.
            rows = rows.values("pk")
        counted = rows[: self.count_limit + 1].count()
        self.count_is_capped = counted > self.count_limit
        return min(counted, self.count_limit)


PREVIEW_WIDTH = 240  # the entry form's photo preview


def thumbnail_size(image, width):
    return width, max(1, round(image.height * width / image.width))


def thumbnail(image, width=80):
    """A small `<img>` of an image, sized by attributes (the CSP forbids style attributes)."""
    if not image or not image.file or not image.width:
        return "—"
    width, height = thumbnail_size(image, width)
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" loading="lazy" class="admin-thumbnail">',
        image.url,
        width,
        height,
    )

"""An entry's body on its way in (cleaned, its inline photos counted) and out (the HTML a page
or a feed shows, with inline photos as figures and links to entries by id)."""

import re

from django.db import transaction
from django.db.models import Value
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from . import richtext
from .articles import BodyImage, OldSlug
from .translations import content_digest

# In cleaned HTML (the sanitiser's own serialisation) an inline photo is exactly this.
FIGURE = re.compile(r'<figure data-image="([0-9]+)">.*?</figure>', re.DOTALL)
SITE_LINK = re.compile(r'(<a href=")(/(?!/))')
LEAD = re.compile(r"\s*<p>(.*?)</p>\s*", re.DOTALL)
FEED_IMAGE_WIDTH = 640


def image_ids(body):
    """Ids of the images placed in a (cleaned) body, in order, without repeats."""
    return list(dict.fromkeys(int(n) for n in FIGURE.findall(body or "")))


def clean_value(value):
    """A body given to `QuerySet.update()`: a string (or `Value`) is cleaned; an expression
    cannot be checked against the allowlist, so it is refused."""
    if isinstance(value, Value) and isinstance(value.value, str):
        return Value(richtext.clean(value.value))
    if isinstance(value, str):
        return richtext.clean(value)
    raise TypeError("Entry.body can only be updated with a string (it is cleaned as HTML).")


# Model hooks, connected in EntriesConfig.ready().


def clean_on_save(sender, instance, raw=False, **kwargs):
    """pre_save, raw saves too (loaddata, restore): the stored body is always clean HTML."""
    instance.body = richtext.clean(instance.body)
    # The fingerprint of the text as stored (Entry.save() computed it before this cleaning:
    # a plain-text body would otherwise change its digest on its next, unchanged, save).
    instance.content_digest = content_digest(instance.headline, instance.summary, instance.body)
    if not raw and instance.pk:
        stored = sender.objects.filter(pk=instance.pk).values_list("slug", flat=True).first()
        instance._old_slug = stored if stored != instance.slug else None


def follow_body(sender, instance, raw=False, **kwargs):
    """post_save: the inline photo uses match the body; a changed slug is remembered. Raw
    saves (loaddata) leave the uses to the fixture's own rows, or to `sync_body_images()`
    afterwards (load_demo, restore), so a dump loads back without duplicates."""
    if raw:
        return
    sync_body_images([instance.pk], {instance.pk: instance.body})
    # A current address is nobody's old one.
    OldSlug.objects.filter(language=instance.language, slug=instance.slug).delete()
    old = getattr(instance, "_old_slug", None)
    if old:
        OldSlug.objects.update_or_create(
            language=instance.language, slug=old, defaults={"entry": instance}
        )
        instance._old_slug = None


def sync_body_images(entry_ids=None, bodies=None):
    """BodyImage rows of these entries (all when None), made to match their bodies."""
    from .models import Entry, Image

    if entry_ids is None:
        entry_ids = list(
            Entry.objects.filter(body__contains="data-image").values_list("pk", flat=True)
        )
    if bodies is None:
        bodies = dict(Entry.objects.filter(pk__in=entry_ids).values_list("pk", "body"))
    wanted = {(pk, image) for pk, body in bodies.items() for image in image_ids(body)}
    existing = set(Image.objects.filter(pk__in={i for _, i in wanted}).values_list("pk", flat=True))
    wanted = {(pk, image) for pk, image in wanted if image in existing}
    with transaction.atomic():
        have = set(
            BodyImage.objects.filter(entry_id__in=entry_ids).values_list("entry_id", "image_id")
        )
        for pk, image in have - wanted:
            BodyImage.objects.filter(entry_id=pk, image_id=image).delete()
        BodyImage.objects.bulk_create(
            [BodyImage(entry_id=pk, image_id=image) for pk, image in wanted - have],
            ignore_conflicts=True,
        )


# On the way out.


def _without_lead(body, summary):
    """The body without its first paragraph when that paragraph is the summary."""
    match = LEAD.match(body)
    if match and richtext.text(match.group(1)) == " ".join(summary.split()):
        return body[match.end() :]
    return body


def render(entry, *, absolute=None, skip_summary=False):
    """The entry's body as the page (or, with `absolute`, a feed) shows it: cleaned again (a
    row written by raw SQL is no exception), inline photos as figures with the same renditions
    and public line as the entry's photo, links and images absolute for feeds."""
    from .models import Image

    body = richtext.clean(entry.body)
    if skip_summary:
        body = _without_lead(body, entry.summary)
    ids = image_ids(body)
    images = Image.objects.in_bulk(ids) if ids else {}

    def figure(match):
        image = images.get(int(match.group(1)))
        if image is None:
            return ""
        context = {"image": image}
        if absolute:
            jpeg = image.renditions_by_format().get("jpeg", [])
            fitting = [r for r in jpeg if r.width <= FEED_IMAGE_WIDTH] or jpeg
            context["src"] = absolute(fitting[-1].url if fitting else image.file.url)
            return render_to_string("entries/includes/feed_figure.html", context)
        return render_to_string("entries/includes/body_figure.html", context)

    body = FIGURE.sub(figure, body)
    if absolute:
        origin = absolute("/").rstrip("/")
        body = SITE_LINK.sub(lambda m: m.group(1) + origin + m.group(2), body)
    # Cleaned by the allowlist above; the figures come from escaped templates.
    return mark_safe(body)

"""Plain helpers that build real rows with real image files."""

import io
from datetime import timedelta
from itertools import count

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image as PILImage

from entries.models import Entry, Image, Topic

_sequence = count(1)


def image_bytes(width=64, height=48, fmt="JPEG", color=(30, 90, 160)):
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), color).save(buffer, fmt)
    return buffer.getvalue()


def make_image(name="photo.jpg", width=64, height=48, **overrides):
    upload = SimpleUploadedFile(name, image_bytes(width, height), content_type="image/jpeg")
    fields = {"caption": "A caption", "alt_text": "A description", **overrides}
    return Image.objects.create(file=upload, **fields)


def make_topic(name="Topic", **overrides):
    n = next(_sequence)
    return Topic.objects.create(**{"name": f"{name} {n}", "slug": f"topic-{n}", **overrides})


def make_entry(**overrides):
    n = next(_sequence)
    fields = {
        "headline": f"Headline {n}",
        "slug": f"entry-{n}",
        "summary": f"Summary {n}.",
        "body": f"Body {n}.",
        "status": Entry.Status.PUBLISHED,
        "pub_date": timezone.now() - timedelta(days=n),
        **overrides,
    }
    return Entry.objects.create(**fields)


def make_translation(source, language="fr", **overrides):
    """A version of `source` (an entry or a topic) in `language`, linked to it as one story;
    an entry's version is up to date with its source."""
    n = next(_sequence)
    fields = {"language": language, "translation_key": source.translation_key, **overrides}
    if isinstance(source, Topic):
        return Topic.objects.create(
            **{"name": f"{source.name} ({language})", "slug": f"topic-{language}-{n}", **fields}
        )
    fields = {
        "headline": f"{source.headline} ({language})",
        "slug": f"{source.slug}-{language}-{n}",
        "summary": f"{source.summary} ({language})",
        "body": source.body,
        "status": source.status,
        "pub_date": source.pub_date,
        "image": source.image,
        "translation_source": source,
        "source_digest": source.content_digest,
        **fields,
    }
    return Entry.objects.create(**fields)


def make_editor(username="editor", **overrides):
    """A staff user in the Editors group, as `manage.py create_editor` makes one."""
    from django.contrib.auth import get_user_model

    from entries.roles import ensure_editors_group

    user = get_user_model().objects.create_user(
        username=username, password="a-long-editor-password", is_staff=True, **overrides
    )
    user.groups.add(ensure_editors_group())
    return user


def media_files(settings):
    """Every file stored under MEDIA_ROOT, as paths relative to it."""
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def stored_originals(settings):
    """The uploaded files under MEDIA_ROOT, leaving out the renditions made from them."""
    return [name for name in media_files(settings) if not name.startswith("renditions/")]

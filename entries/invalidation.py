"""Any change to site content drops the content version, so no cached page outlives it.

Covers the admin, the shell and `loaddata` (raw saves still send these signals). Bulk writes
that send no signals (`QuerySet.update`, `bulk_create`) bump it in `entries.models`.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from newsroom.content_version import bump_content_version

from .models import Entry, Image, Rendition, Topic


def connect():
    # Renditions too: the listing's <picture> markup lists them.
    for model in (Entry, Image, Rendition, Topic):
        post_save.connect(bump_content_version, sender=model, dispatch_uid=f"bump-save-{model}")
        post_delete.connect(bump_content_version, sender=model, dispatch_uid=f"bump-del-{model}")
    m2m_changed.connect(
        bump_content_version, sender=Entry.topics.through, dispatch_uid="bump-entry-topics"
    )

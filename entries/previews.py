"""Shareable previews: a link to a draft or scheduled entry for someone without an account.

The token is 256 random bits, shown once to the editor who makes the link and stored only as
its SHA-256 hash; a link opens one entry, until it expires or is revoked. A link either follows
the entry's latest text or stays pinned to the text it was made from (kept on the link).
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .models import Entry, Image, Topic

TOKEN_BYTES = 32
DEFAULT_HOURS = 48
MIN_HOURS, MAX_HOURS = 1, 14 * 24
PINNED_FIELDS = ("headline", "slug", "summary", "body", "image_id", "pub_date")


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class PreviewLinkQuerySet(models.QuerySet):
    def live(self):
        return self.filter(revoked_at__isnull=True, expires__gt=timezone.now())

    def find(self, token):
        """The live link for `token`, or None: unknown, tampered, revoked and expired tokens
        are told apart by nobody."""
        if not token or len(token) > 100:
            return None
        return self.live().select_related("entry").filter(token_hash=hash_token(token)).first()


class PreviewLink(models.Model):
    class Mode(models.TextChoices):
        LATEST = "latest", "Follows the latest version"
        PINNED = "pinned", "Pinned to the version it was made from"

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="preview_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    mode = models.CharField(max_length=6, choices=Mode, default=Mode.LATEST)
    # The text a pinned link shows: {"headline": ..., "topics": [pk, ...], ...}.
    pinned = models.JSONField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PreviewLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        indexes = [models.Index(fields=["entry", "expires"], name="preview_entry_expires_idx")]

    def __str__(self):
        return f"Preview of {self.entry} until {self.expires:%Y-%m-%d %H:%M}"

    @classmethod
    def make(cls, entry, user, hours=DEFAULT_HOURS, mode=Mode.LATEST):
        """A new link and its token (the only time the token exists in clear)."""
        if not MIN_HOURS <= hours <= MAX_HOURS:
            raise ValueError(f"A preview lasts {MIN_HOURS} to {MAX_HOURS} hours.")
        token = secrets.token_urlsafe(TOKEN_BYTES)
        pinned = None
        if mode == cls.Mode.PINNED:
            pinned = {name: getattr(entry, name) for name in PINNED_FIELDS}
            pinned["pub_date"] = entry.pub_date.isoformat()
            pinned["topics"] = [topic.pk for topic in entry.topics.all()]
        link = cls.objects.create(
            entry=entry,
            token_hash=hash_token(token),
            mode=mode,
            pinned=pinned,
            created_by=user,
            expires=timezone.now() + timedelta(hours=hours),
        )
        return link, token

    def revoke(self):
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    def shown_entry(self):
        """The entry as this link shows it: the current one, or the pinned text on it."""
        entry = (
            Entry.objects.select_related("image").prefetch_related("topics").get(pk=self.entry_id)
        )
        if not self.pinned:
            return entry
        for name in PINNED_FIELDS:
            value = self.pinned.get(name)
            if name == "pub_date":
                value = timezone.datetime.fromisoformat(value)
            setattr(entry, name, value)
        entry.image = Image.objects.filter(pk=entry.image_id).first() if entry.image_id else None
        topics = Topic.objects.filter(pk__in=self.pinned.get("topics") or ())
        entry._prefetched_objects_cache = {"topics": topics}
        return entry

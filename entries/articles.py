"""What an entry's body and address history bring: inline photo uses and old slugs."""

from django.db import models

from newsroom.i18n import default_language


class BodyImage(models.Model):
    """An image placed in an entry's body (`<figure data-image>`): it counts as used, like the
    entry's photo, so it cannot be deleted. Rows follow the body (`entries.body`)."""

    entry = models.ForeignKey("entries.Entry", on_delete=models.CASCADE, related_name="+")
    image = models.ForeignKey("entries.Image", on_delete=models.PROTECT, related_name="body_uses")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "image"], name="body_image_unique")]

    def __str__(self):
        return f"{self.image} in {self.entry}"


class OldSlug(models.Model):
    """An address an entry had before its slug changed: it answers a 301 to the current one.
    Addresses are per language (`/entries/x/` and `/fr/entries/x/` are two)."""

    slug = models.SlugField(max_length=300)
    language = models.CharField(max_length=12, default=default_language)
    entry = models.ForeignKey("entries.Entry", on_delete=models.CASCADE, related_name="old_slugs")
    changed = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-changed"]
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="old_slug_per_language")
        ]

    def __str__(self):
        return self.slug

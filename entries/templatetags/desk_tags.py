"""The desk's counts for the admin index page."""

from django import template

from .. import image_health

register = template.Library()


@register.simple_tag
def image_health_counts():
    """[(need, count)] for the groups of the image-health page."""
    return image_health.counts()

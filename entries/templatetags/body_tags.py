from django import template

from entries import body

register = template.Library()


@register.simple_tag
def entry_body(entry):
    """The entry's body as its page shows it (see `entries.body.render`), without a first
    paragraph that only repeats the summary shown above it."""
    return body.render(entry, skip_summary=True)

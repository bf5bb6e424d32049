"""The listing filter's fields as the page shows them (templates/jinja2/includes/
filter_fields.html), reused between requests that show the same fields and values."""

from django import forms
from django.template import engines
from django.utils.translation import get_language

TEMPLATE = "includes/filter_fields.html"
# Rendered filter fields by everything they show (see `filter_fields`); bounded.
_rendered = {}


def _render(form):
    return engines["jinja2"].env.get_template(TEMPLATE).module.filter_fields(form)


def filter_fields(form):
    """The listing filter's fields, each with its label and errors. Django renders every label
    and widget (and each <option>) through a template; for a valid form the result depends only
    on the fields' values and choices, so it is rendered once per combination of those and then
    reused. Never stale: the topics are read (one query, as before) to make the key; labels and
    fixed choices (months) come from the code, so the language stands for them."""
    if form.errors:
        return _render(form)
    # django-filter makes a new form class per request: the key names what the HTML shows.
    key = [get_language(), type(form).__qualname__, form.prefix, form.auto_id, form.label_suffix]
    for name, field in form.fields.items():
        key.append((name, type(field), type(field.widget), repr(field.widget.attrs)))
        if isinstance(field, forms.ModelChoiceField):
            # Read once, as plain pairs: the key and the widget use the same list.
            choices = [(str(value), str(label)) for value, label in field.choices]
            field.widget.choices = choices
            key.append(tuple(choices))
        elif isinstance(field, forms.ChoiceField):
            key.append(tuple(value for value, _ in field.choices))
        key.append(repr(form[name].value()))
    key = tuple(key)
    html = _rendered.get(key)
    if html is None:
        html = _render(form)
        if len(_rendered) >= 256:  # visitors choose the values: keep it bounded
            _rendered.clear()
        _rendered[key] = html
    return html


GLOBALS = {"filter_fields": filter_fields}

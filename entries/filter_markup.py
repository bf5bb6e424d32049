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


def filter_fields(filterset):
    """The listing filter's fields, each with its label and errors. Django renders every label
    and widget (and each <option>) through a template; for a valid form the result depends only
    on the fields' values and choices, so it is rendered once per combination of those and then
    reused. Never stale: the topics are read (kept in the cache until a topic changes, else one
    query) to make the key; labels and fixed choices (months) come from the code, so the
    language stands for them.

    A filter given no value at all (entries.filters.EntryFilter.is_blank) shows its form
    class's fields with no value: the key is made from those, and a form is built only to render
    them the first time."""
    if filterset.is_blank:
        form_class = filterset.get_form_class()
        key = _blank_key(form_class, filterset.form_prefix)
        html = _rendered.get(key)
        return html if html is not None else _remember(key, filterset.form)
    form = filterset.form
    if form.errors:
        return _render(form)
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            # Read once, as plain pairs: the key and the widget use the same list.
            field.widget.choices = _choices(field)
    values = {name: form[name].value() for name in form.fields}
    key = _form_key(form, values)
    html = _rendered.get(key)
    return html if html is not None else _remember(key, form)


def _choices(field):
    return [(str(value), str(label)) for value, label in field.choices]


def _blank_key(form_class, prefix, with_topics=True):
    """`_key()` of a form given no value. All but the topics (the ModelChoiceField's choices)
    comes from the form class and the language, so that part is worked out once for each."""
    fields = form_class.base_fields
    memo = (form_class, prefix, get_language())
    fixed = _fixed_keys.get(memo)
    if fixed is None:
        fixed = _fixed_keys[memo] = _key(form_class, prefix, fields, None, model_choices=False)
    if not with_topics:
        return fixed
    return fixed + tuple(
        tuple(_choices(field))
        for field in fields.values()
        if isinstance(field, forms.ModelChoiceField)
    )


def _form_key(form, values):
    """`_key()` of a bound form: the fixed part as `_blank_key()` has it (a form's fields are
    copies of its class's, changed by no request), then the topics and the values."""
    fields = form.fields
    if fields.keys() != type(form).base_fields.keys():
        return _key(type(form), form.prefix, fields, values)
    fixed = _blank_key(type(form), form.prefix, with_topics=False)
    topics = (
        tuple(field.widget.choices)
        for field in fields.values()
        if isinstance(field, forms.ModelChoiceField)
    )
    return (*fixed, *topics, *(repr(values[name]) for name in fields))


# The fixed part of `_blank_key()` by form class, prefix and language: a handful.
_fixed_keys = {}


def _key(form_class, prefix, fields, values, model_choices=True):
    """What the fields' HTML depends on. `values` None: no value given (each is None).
    django-filter makes its form class per filter set: the key names what the HTML shows."""
    # A form's label suffix and auto_id are Django's defaults (the suffix in the language).
    key = [get_language(), form_class.__qualname__, prefix]
    for name, field in fields.items():
        key.append((name, type(field), type(field.widget), repr(field.widget.attrs)))
        if isinstance(field, forms.ModelChoiceField):
            if model_choices:
                choices = field.widget.choices if values is not None else _choices(field)
                key.append(tuple(choices))
        elif isinstance(field, forms.ChoiceField):
            key.append(tuple(value for value, _ in field.choices))
        key.append(repr(values[name] if values is not None else None))
    return tuple(key)


def _remember(key, form):
    html = _render(form)
    if len(_rendered) >= 256:  # visitors choose the values: keep it bounded
        _rendered.clear()
    _rendered[key] = html
    return html


GLOBALS = {"filter_fields": filter_fields}

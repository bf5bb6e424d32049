"""The listing filters as query parameters a reader can bookmark: year, month, from, to, topic, q.

Values the form rejects (`year=abc`, `from=2024-13-45`, an over-long query, NUL bytes) are form
errors shown above the list; the view then answers 400 with no entries, never a 500.
"""

import copy

import django_filters
from django import forms
from django.conf import settings
from django.utils.dates import MONTHS as MONTH_NAMES
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from newsroom.content_version import remembered_or_computed
from newsroom.prepared import PreparedQuery

from . import cache_keys, search
from .models import Topic

# Month names in the page's language (Django's own, translated).
MONTHS = [(str(number), name) for number, name in MONTH_NAMES.items()]


class YearFilter(django_filters.NumberFilter):
    # A whole number in the calendar's range: larger years would overflow date arithmetic.
    field_class = forms.IntegerField


class TopicChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """The page's language's topics, kept in the cache until a topic changes (the `topics`
    key, which also refreshes every page showing the filter form), else read with one plain
    query compiled once per thread and language (newsroom.prepared). Django's own iterator
    reads through `QuerySet.iterator()`, a server-side cursor on PostgreSQL: DECLARE, FETCH and
    CLOSE, three round trips on every listing page for a list of a few topics."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in language_topic_list():
            yield self.choice(obj)


class TopicChoiceField(django_filters.fields.ModelChoiceField):
    iterator = TopicChoiceIterator


class TopicChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = TopicChoiceField


def language_topics(request=None):
    """The topic filter's queryset: the page's language's topics."""
    return Topic.objects.in_language()


# Its choices, listed by the iterator above (a given value is still checked by the queryset).
_TOPICS = PreparedQuery(language_topics)


def language_topic_list():
    """The page's language's topics (a list), kept until a topic changes (with the cache down,
    read from the database)."""
    return remembered_or_computed(
        f"topic-choices:{get_language()}",
        (cache_keys.SITE, cache_keys.TOPICS),
        _TOPICS.objects,
        settings.PAGE_CACHE_SECONDS,
    )


class EntryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"), method="filter_text", max_length=200, strip=True
    )
    topic = TopicChoiceFilter(
        field_name="topics",
        to_field_name="slug",
        label=_("Topic"),
        queryset=language_topics,
        empty_label=_("All topics"),
    )
    # Years 1 and 9999 are refused too: their bounds, made in TIME_ZONE and turned into UTC,
    # fall outside Python's dates (0000-12-31, 10000-01-01) and the query raised (fuzzing).
    year = YearFilter(
        field_name="pub_date", lookup_expr="year", label=_("Year"), min_value=2, max_value=9998
    )
    month = django_filters.ChoiceFilter(
        field_name="pub_date",
        lookup_expr="month",
        label=_("Month"),
        choices=MONTHS,
        empty_label=_("Any month"),
    )
    date_from = django_filters.DateFilter(
        field_name="pub_date",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="pub_date",
        lookup_expr="date__lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    # Form classes by the filters they hold and the page's language (its topics), made once
    # per process: django-filter would build a new class (and a new field per filter) on every
    # request. Each form still copies the fields it is made with, so nothing is shared between
    # requests.
    _form_classes = {}

    def get_form_class(self):
        key = (type(self), tuple(self.filters), get_language())
        form_class = self._form_classes.get(key)
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = FieldCopies(form_class.base_fields)
            self._form_classes[key] = form_class
        return form_class

    @cached_property
    def is_blank(self):
        """Whether the query string names no filter at all (`/`, `/?page=3`): the form is then
        valid, filters nothing and shows no value, so it is not even built (building, validating
        and keying it was about a tenth of an uncached listing page's instructions;
        entries.filter_markup renders its fields without it)."""
        # An unbound filter set stays invalid, as django-filter has it.
        return self.is_bound and not any(name in self.data for name in self.filters)

    def is_valid(self):
        return self.is_blank or super().is_valid()

    @property
    def errors(self):
        return {} if self.is_blank else self.form.errors

    def filter_queryset(self, queryset):
        if self.is_blank:
            return queryset
        # The text query last: on PostgreSQL it bounds the matches it ranks (entries.search),
        # and that bound must count within the other filters, not before them.
        names = sorted(self.form.cleaned_data, key=lambda name: name == "q")
        for name in names:
            queryset = self.filters[name].filter(queryset, self.form.cleaned_data[name])
        return queryset

    def filter_text(self, queryset, name, value):
        return search.search(queryset, value) if value else queryset

    @property
    def query(self):
        """The valid text query, or ''."""
        if self.is_blank or not self.is_valid():
            return ""
        return self.form.cleaned_data.get("q", "")

    @property
    def text_query_alone(self):
        """The valid text query when no other filter value is given, or ''."""
        others = (name for name in self.filters if name != "q")
        return "" if any(self.data.get(name) for name in others) else self.query

    @cached_property
    def is_active(self):
        """Whether any filter value was given (the form shows then; the heading counts them)."""
        return any(self.data.get(name) for name in self.filters)


class FilterCopies(dict):
    """A FilterSet's `base_filters`, which django-filter deep-copies for every FilterSet made:
    every filter's query set, widget, choices and options, on every listing request. A shallow
    copy of each filter is enough: a request sets only the copy's own `model` and `parent`
    (and its own method binding, made again here); nothing else is changed per request."""

    def __deepcopy__(self, memo):
        copies = {}
        for name, original in self.items():
            copied = copies[name] = copy.copy(original)
            if copied.method is not None:
                copied.method = copied.method  # a FilterMethod bound to the copy, not the original
        return copies


class FieldCopies(dict):
    """A form class's `base_fields`, which Django deep-copies for every form made: each field,
    its widget and, item by item, its list of choices (the month names). Copied here as
    Django's Field, ChoiceField, ModelChoiceField and widget `__deepcopy__` copy them, without
    `copy.deepcopy`'s generic machinery (2-3 % of a search page's instructions) and sharing
    the lists of choices: nothing changes one in place (a request may replace a widget's whole
    list, never an item of the field's)."""

    def __deepcopy__(self, memo):
        return {name: _field_copy(field) for name, field in self.items()}


def _shallow_copy(obj):
    copied = object.__new__(type(obj))
    copied.__dict__.update(obj.__dict__)
    return copied


def _field_copy(field):
    copied = _shallow_copy(field)
    widget = copied.widget = _shallow_copy(field.widget)
    widget.attrs = field.widget.attrs.copy()
    if isinstance(widget, forms.widgets.ChoiceWidget):
        widget.choices = copy.copy(field.widget.choices)
    copied.error_messages = field.error_messages.copy()
    copied.validators = field.validators[:]
    if isinstance(field, forms.ModelChoiceField):
        if field.queryset is not None:
            copied.queryset = field.queryset.all()  # a new iterator of its own (Django #11183)
    elif isinstance(field, forms.ChoiceField):
        choices = field._choices
        if hasattr(choices, "field"):  # django-filter's iterator over the list: the copy's own
            choices = _shallow_copy(choices)
            choices.field = copied
        copied._choices = choices
    return copied


# `from` and `to` are the public parameter names; `from` cannot be a class attribute.
EntryFilter.base_filters = FilterCopies(
    {
        {"date_from": "from", "date_to": "to"}.get(name, name): f
        for name, f in EntryFilter.base_filters.items()
    }
)

"""Querysets turned into SQL once, then run many times with new values.

Building a queryset (`filter()`, `Q`, lookups) and compiling it to SQL is most of what a small
query costs in Django: several times the database's own work for the few indexed rows a public
page reads. A `PreparedQuery` builds and compiles its queryset once per thread and active
language, from stand-in values, and each run only puts the real values into the parameters.

The query may depend only on its declared inputs, on the current time read through `now()` (an
implicit input) and on the active language: preparing compiles it once per input with a
different stand-in and refuses (ImproperlyConfigured) unless exactly the parameters that follow
that input change, each by the adaptation Django itself gave it (an input of kind `Contains`,
by its LIKE pattern). A value read elsewhere (e.g. `timezone.now()` called directly) changes
between those compilations and is refused too.
"""

import contextvars
import threading
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured
from django.db.models import (
    Count,
    Func,
    IntegerField,
    Model,
    Subquery,
    Window,
    prefetch_related_objects,
)
from django.db.models.base import ModelState
from django.db.models.query import ModelIterable, _get_from_db, get_related_populators
from django.db.models.signals import post_init, pre_init
from django.utils import timezone, translation

from newsroom.decoded_json import sharing_decoded_json

_preparing_now = contextvars.ContextVar("prepared_now", default=None)

# The SQL of QuerySet.count(), as a column (an aggregate would group by every field): a count
# that can be prepared is `queryset.order_by().values_list(COUNT_ROWS)`.
COUNT_ROWS = Func(template="COUNT(*)", output_field=IntegerField())


def now():
    """The current time, as querysets that may be prepared must read it."""
    return _preparing_now.get() or timezone.now()


class Contains(str):
    """The kind of an input only compared with `__contains` or `__icontains`: its parameter is
    the LIKE pattern Django makes of it (`%value%`, wildcards escaped)."""


def _stand_in(kind, slot, variant):
    """A value of `kind` no real input has, different per slot and variant."""
    if kind is datetime:
        return datetime(1901, 1, 1, tzinfo=UTC) + timedelta(days=slot, seconds=variant)
    if kind is int:
        return -(10**12) - 1000 * slot - variant
    if kind is str or kind is Contains:
        return f"prepared-stand-in-{slot}-{variant}"
    if kind is UUID:
        return UUID(int=(slot << 16) + variant)
    raise TypeError(f"no stand-in for {kind!r}")


def _adapter(kind, connection):
    """What Django makes of a value of `kind` on its way to this database."""
    if kind is datetime:
        return connection.ops.adapt_datetimefield_value
    if kind is Contains:
        return lambda value: f"%{connection.ops.prep_for_like_query(value)}%"
    if kind is UUID and not connection.features.has_native_uuid_field:
        return lambda value: value.hex
    return None


class _Compiled:
    def __init__(self, queryset, compiler, sql, params, slots):
        self.queryset = queryset
        self.compiler = compiler
        self.sql = sql
        self.params = params
        self.slots = slots  # (position, input name, adapter or None)
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        self.converters = sharing_decoded_json(compiler.get_converters(fields))
        self.model_rows = issubclass(queryset._iterable_class, ModelIterable)
        if self.model_rows:
            klass_info = compiler.klass_info
            select = compiler.select
            fetch_mode = queryset._fetch_mode
            first, *_, last = klass_info["select_fields"]
            self.model_slice = slice(first, last + 1)
            self.init_list = [f[0].target.attname for f in select[self.model_slice]]
            self.from_db = _InstanceBuilder.for_model(klass_info["model"], fetch_mode)
            self.populators = get_related_populators(klass_info, select, queryset.db, fetch_mode)
            self.builders = _build_related_instances(self.populators, fetch_mode)
            if isinstance(self.from_db, _InstanceBuilder):
                self.builders.append(self.from_db)
            self.annotations = compiler.annotation_col_map
            # What a union of prepared queries needs the same in each (PreparedUnion).
            self.columns = (
                klass_info["model"],
                tuple(self.init_list),
                tuple(self.annotations),
                compiler.col_count,
                len(self.populators),
            )
        else:
            self.columns = None


class _InstanceBuilder:
    """`model.from_db(db, attnames, values)`, as Django's but without Model.__init__: the values
    go straight into the instance's __dict__, which is where __init__'s setattr puts them (the
    descriptors of file and foreign key fields store them there too), and a row with deferred
    fields is not first rebuilt in field order with a placeholder per deferred field: about a
    tenth of an uncached listing page's instructions (it builds twenty instances).

    `post_init` goes to its receivers as Model.__init__ sends it, before from_db marks the
    instance as read from `db`; the receivers are looked up once per batch of rows (`start()`,
    per query run) rather than once per instance (an image field keeping its dimensions listens
    to every image built; about 1 % of an uncached listing page's instructions)."""

    def __init__(self, model, fetch_mode):
        self.model = model
        self.fetch_mode = fetch_mode
        self.receivers = None  # until start(): sent through the signal

    @classmethod
    def for_model(cls, model, fetch_mode):
        """A builder, or Django's own from_db when the model overrides from_db or __init__ or
        something listens to pre_init (looked up when the query is prepared: model signals
        are connected at start-up)."""
        if (
            model.from_db.__func__ is not Model.from_db.__func__
            or model.__init__ is not Model.__init__
            or pre_init.has_listeners(model)
        ):
            return _get_from_db(model, fetch_mode)
        return cls(model, fetch_mode)

    def start(self):
        """Before a batch of rows: the receivers post_init has now (async ones: sent as Django
        sends them)."""
        sync, asynchronous = post_init._live_receivers(self.model)
        self.receivers = sync if not asynchronous else None

    def __call__(self, db, attnames, values):
        obj = object.__new__(self.model)
        fields = obj.__dict__
        fields["_state"] = state = ModelState()
        fields.update(zip(attnames, values, strict=True))
        if self.receivers is None:
            post_init.send(sender=self.model, instance=obj)
        else:
            for receiver in self.receivers:
                receiver(signal=post_init, sender=self.model, instance=obj)
        state.adding = False
        state.db = db
        if self.fetch_mode is not None:
            state.fetch_mode = self.fetch_mode
        return obj


def _build_related_instances(populators, fetch_mode):
    """select_related's populators (Django's RelatedPopulator) build with `_InstanceBuilder`;
    the builders, to be started before each batch of rows."""
    builders = []
    for populator in populators:
        populator.from_db = _InstanceBuilder.for_model(populator.model_cls, fetch_mode)
        if isinstance(populator.from_db, _InstanceBuilder):
            builders.append(populator.from_db)
        builders += _build_related_instances(populator.related_populators, fetch_mode)
    return builders


class PreparedQuery:
    """`build(**inputs)` returns the queryset; `inputs` name each input's type (datetime, int,
    str, UUID or Contains). `rows(**values)` gives the rows (values_list querysets),
    `objects(**values)` the model instances (with select_related and prefetch_related as the
    queryset asks).

    With `window=True` the queryset is built unsliced and each run reads `limit` rows from
    `offset` on (both bound as parameters: one SQL for every page of a listing).

    `prefetch` maps prefetch_related lookups of the queryset to prepared queries of their own,
    run with `pk=` each found object's primary key (one query per object: for lookups of one
    object); the queryset's other lookups are prefetched as Django does."""

    def __init__(self, build, prefetch=None, window=False, **inputs):
        self.build = build
        self.prefetch = prefetch or {}
        self.window = window
        self.inputs = {"now": datetime, **inputs}
        self._local = threading.local()

    def _compile(self, stand_ins):
        token = _preparing_now.set(stand_ins["now"])
        try:
            queryset = self.build(**{k: v for k, v in stand_ins.items() if k != "now"})
        finally:
            _preparing_now.reset(token)
        if self.window and queryset.query.is_sliced:
            raise ImproperlyConfigured(f"{self.build!r}: a window query is built unsliced")
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        if self.window:
            sql += " LIMIT %s OFFSET %s"
        return queryset, compiler, sql, list(params)

    def _prepare(self):
        names = list(self.inputs)

        def stand_ins(changed=None):
            return {
                name: _stand_in(self.inputs[name], slot, int(name == changed))
                for slot, name in enumerate(names)
            }

        queryset, compiler, sql, params = self._compile(stand_ins())
        connection = compiler.connection
        slots = {}
        for name in names:
            values = stand_ins(name)
            _, _, other_sql, other_params = self._compile(values)
            if other_sql != sql or len(other_params) != len(params):
                raise ImproperlyConfigured(f"{self.build!r}: the SQL changes with {name!r}")
            adapt = _adapter(self.inputs[name], connection)
            before, after = stand_ins()[name], values[name]
            if adapt:
                before, after = adapt(before), adapt(after)
            for position, (old, new) in enumerate(zip(params, other_params, strict=True)):
                if old == new:
                    continue
                if position in slots or (old, new) != (before, after):
                    raise ImproperlyConfigured(
                        f"{self.build!r}: parameter {position} ({old!r}) depends on more than "
                        f"its declared inputs"
                    )
                slots[position] = (name, adapt)
        slots = [(position, name, adapt) for position, (name, adapt) in sorted(slots.items())]
        return _Compiled(queryset, compiler, sql, params, slots)

    def _compiled(self):
        cache = getattr(self._local, "by_language", None)
        if cache is None:
            cache = self._local.by_language = {}
        language = translation.get_language()
        compiled = cache.get(language)
        if compiled is None:
            compiled = cache[language] = self._prepare()
        return compiled

    def _params(self, compiled, values):
        params = compiled.params.copy()
        for position, name, adapt in compiled.slots:
            value = values[name]
            params[position] = adapt(value) if adapt else value
        if self.window:
            params += [values["limit"], values["offset"]]
        return params

    def _run(self, compiled, values):
        values["now"] = timezone.now()
        with compiled.compiler.connection.cursor() as cursor:
            cursor.execute(compiled.sql, self._params(compiled, values))
            return _converted(compiled, cursor.fetchall())

    def rows(self, **values):
        return [tuple(row) for row in self._run(self._compiled(), values)]

    def objects(self, **values):
        compiled = self._compiled()
        return self._objects(compiled, self._run(compiled, values))

    def _objects(self, compiled, rows):
        db = compiled.queryset.db
        found = []
        if rows:
            for builder in compiled.builders:
                builder.start()
        for row in rows:
            obj = compiled.from_db(db, compiled.init_list, row[compiled.model_slice])
            for populator in compiled.populators:
                populator.populate(row, obj)
            for attribute, position in compiled.annotations.items():
                setattr(obj, attribute, row[position])
            found.append(obj)
        lookups = compiled.queryset._prefetch_related_lookups
        if found and lookups:
            for lookup in lookups:
                query = self.prefetch.get(lookup)
                for obj in found if query else ():
                    _fill_prefetched(obj, lookup, query.objects(pk=obj.pk))
            rest = [lookup for lookup in lookups if lookup not in self.prefetch]
            if rest:
                prefetch_related_objects(found, *rest)
        return found


class PreparedCountedPage(PreparedQuery):
    """A page of a listing and the count of the whole listing, in one query: `page(**values)`
    builds the page's queryset (unsliced: a window query), `count(**values)` the count's
    (`values_list(COUNT_ROWS)`), which rides along as a scalar subquery (the database works it
    out once per query). `objects(offset=, limit=, **values)` gives `(instances, count)`; the
    count is None when the page has no rows (past the end: count with the count's own query).

    Without `count`, the page query's own rows are counted (`COUNT(*) OVER ()`, before the
    LIMIT): one pass over them instead of two, for a query that reads and sorts all its rows
    anyway (a search, ranked), never for one that stops after a page's worth (a listing read
    in index order, which a window count would make read everything).

    One round trip instead of two when nothing keeps the count: each query costs the worker
    and the database more than a page's worth of rows does.

    `along`, `{column: (expression(**values), receive(value))}`, reads more scalar subqueries
    in the same query; each value is handed to its `receive` when the page has rows."""

    COLUMN = "prepared_listing_count"

    def __init__(self, page, count=None, *, along=None, **inputs):
        self.along = dict(along or {})

        def build(**values):
            if count is None:
                counted = Window(Count("*"))
            else:
                counted = Subquery(count(**values), output_field=IntegerField())
            columns = {name: make(**values) for name, (make, _) in self.along.items()}
            return page(**values).annotate(**{self.COLUMN: counted}, **columns)

        super().__init__(build, window=True, **inputs)

    def objects(self, **values):
        found = super().objects(**values)
        count, read = None, {}
        for obj in found:
            count = obj.__dict__.pop(self.COLUMN)
            read = {name: obj.__dict__.pop(name) for name in self.along}
        for name, value in read.items():
            self.along[name][1](value)
        return found, count


class PreparedUnion:
    """Prepared queries run in one round trip: a UNION ALL of each as a subquery, so each keeps
    its own ORDER BY and LIMIT (which Django's union() cannot do on SQLite). They must select
    the same columns of one model. `objects(**values)` gives a list of instances per query,
    each query reading the values it declares; the order of rows within one query's list is
    the database's (a UNION ALL promises none)."""

    def __init__(self, *parts):
        self.parts = parts

    def objects(self, **values):
        values["now"] = timezone.now()
        parts = [(part, part._compiled()) for part in self.parts]
        columns = {compiled.columns for _, compiled in parts}
        if len(columns) != 1 or None in columns:
            raise ImproperlyConfigured("The queries of a union must select one model's columns.")
        sql = " UNION ALL ".join(
            f"SELECT {number} AS prepared_part, * FROM ({compiled.sql}) prepared_{number}"
            for number, (_, compiled) in enumerate(parts)
        )
        params = [p for part, compiled in parts for p in part._params(compiled, values)]
        with parts[0][1].compiler.connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        by_part = [[] for _ in parts]
        for row in rows:
            by_part[row[0]].append(row[1:])
        return [
            part._objects(compiled, _converted(compiled, found))
            for (part, compiled), found in zip(parts, by_part, strict=True)
        ]


def _converted(compiled, rows):
    if compiled.converters:
        return compiled.compiler.apply_converters(rows, compiled.converters)
    return rows


def _fill_prefetched(obj, name, related):
    """What prefetch_related leaves on `obj` for the many-to-many manager `name`: its query set,
    already evaluated."""
    queryset = getattr(obj, name).get_queryset()
    queryset._result_cache = related
    queryset._prefetch_done = True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset

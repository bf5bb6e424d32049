"""The Jinja2 environment of the public pages (settings.TEMPLATES; the admin, forms and filter
widgets stay on Django's templates).

Two things keep every page byte for byte what Django's engine made of the same templates:
output is escaped as Django escapes (`&#x27;` and `&quot;`, where MarkupSafe writes `&#39;` and
`&#34;`), and `{% trans %}` goes through Django's catalogues. Each language gets its own copy of
the environment (`for_language`), whose templates are compiled with their constant
translations already in place: a page in French looks up no string while it renders. (So a
template is rendered in the language that was active when it was looked up, as Django's
TemplateResponse and render_to_string do.)
"""

import html
import re
from functools import cached_property

import jinja2
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import escape as django_escape
from django.utils.safestring import SafeString
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.ext import InternationalizationExtension
from markupsafe import Markup

from . import feed_markup, filter_markup, page_helpers, pictures

# In an XML template (a feed), a line break and the indentation after it: written for the
# reader of the template, not sent.
XML_LINE_BREAK = re.compile(r"\n\s*")


def escape(value):
    """`value` as Django's templates print it: escaped (django.utils.html.escape) unless it is
    already HTML. Called for every `{{ ... }}`, so the usual cases are tested first."""
    kind = type(value)
    if kind is str:
        # Five scans in C are several times faster than a regular expression's (a summary
        # per listing card).
        if "&" in value or "<" in value or ">" in value or '"' in value or "'" in value:
            return html.escape(value)
        return value
    if kind is SafeString or kind is Markup:
        return value
    if hasattr(value, "__html__"):
        return value.__html__()
    if isinstance(value, Promise):  # a lazy translation: its text, escaped
        value = str(value)
    return html.escape(str(value))


class DjangoEscapingCodeGenerator(CodeGenerator):
    """Compiles `{{ value }}` to `environment.escape(value)` instead of MarkupSafe's escape."""

    def _output_child_pre(self, node, frame, finalize):
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            return super()._output_child_pre(node, frame, finalize)
        self.write("environment.escape(")
        if finalize.src is not None:
            self.write(finalize.src)
        return None


def interpolate(text, **values):
    """A translated `text` with its `%(name)s` values escaped, as {% blocktranslate %} does."""
    return SafeString(text % {name: escape(value) for name, value in values.items()})


def gettext(message, **values):
    return interpolate(translation.gettext(message), **values)


def pgettext(context, message, **values):
    return interpolate(translation.pgettext(context, message), **values)


def ngettext(singular, plural, number, **values):
    values.setdefault("num", number)
    return interpolate(translation.ngettext(singular, plural, number), **values)


def npgettext(context, singular, plural, number, **values):
    values.setdefault("num", number)
    return interpolate(translation.npgettext(context, singular, plural, number), **values)


class DjangoTranslations(InternationalizationExtension):
    """`{% trans %}` through Django's catalogues. In a language's environment a message with
    no plural is translated when the template is compiled: plain text, or the translated
    text given its values when the page renders. Plurals depend on the number: translated then.
    """

    def _make_node(self, singular, plural, context, variables, plural_expr, *flags):
        environment = self.environment
        if not environment.overlayed or plural_expr is not None:
            return super()._make_node(singular, plural, context, variables, plural_expr, *flags)
        with translation.override(environment.language):
            if context is None:
                text = translation.gettext(singular)
            else:
                text = translation.pgettext(context, singular)
        if not variables:
            return nodes.Output([nodes.TemplateData(text.replace("%%", "%"))])
        values = [nodes.Keyword(name, value) for name, value in variables.items()]
        interpolate = nodes.Name("interpolate", "load")
        return nodes.Output([nodes.Call(interpolate, [nodes.Const(text)], values, None, None)])


def join_outputs(template):
    """Adjacent outputs made one: `<a>{% trans %}Next{% endtrans %}</a>` is then one piece
    of text, yielded once, instead of three (each yield resumes every template generator
    between it and the page)."""
    for node in template.find_all(nodes.Node):
        for field in node.fields:
            statements = getattr(node, field)
            if not isinstance(statements, list) or len(statements) < 2:
                continue
            joined = []
            for statement in statements:
                if (
                    isinstance(statement, nodes.Output)
                    and joined
                    and type(joined[-1]) is nodes.Output
                ):
                    joined[-1].nodes.extend(statement.nodes)
                else:
                    joined.append(statement)
            statements[:] = joined
    return template


class PageEnvironment(jinja2.Environment):
    """Hands each template out compiled for the active language (see the module's doc)."""

    code_generator_class = DjangoEscapingCodeGenerator
    language = None  # in a language's environment, its code (None: no translation)
    escape = staticmethod(escape)

    @cached_property
    def languages(self):
        return {}

    def for_language(self, language):
        environment = self.languages.get(language)
        if environment is None:
            environment = self.overlay()
            environment.language = language
            # What depends on the language is bound to it, not looked up while rendering.
            environment.globals = {
                **self.globals,
                "LANGUAGE_CODE": language,
                "url": page_helpers.url_in(language),
            }
            environment.filters = {
                **self.filters,
                "news_date": page_helpers.news_date_in(language),
                "public_line": page_helpers.public_line_in(language),
                "picture": pictures.picture_filter(language),
            }
            self.languages[language] = environment
        return environment

    def make_globals(self, d):
        # A plain dict, not Jinja's ChainMap(d, self.globals): every render, include and
        # `{% from %}` import copies a template's globals or compares their keys, which a
        # ChainMap does key by key in Python (a dict in C). The globals are all set before the
        # first template is loaded (`environment`, `for_language`), so nothing is missed.
        return {**self.globals, **(d or {})}

    def preprocess(self, source, name=None, filename=None):
        source = super().preprocess(source, name, filename)
        if name and name.endswith(".xml"):
            source = XML_LINE_BREAK.sub("", source)
        return source

    def _parse(self, source, name, filename):
        return join_outputs(super()._parse(source, name, filename))

    def get_template(self, name, parent=None, globals=None):
        if self.overlayed:
            return super().get_template(name, parent, globals)
        return self.for_language(translation.get_language()).get_template(name, parent, globals)

    def from_string(self, source, globals=None, template_class=None):
        if self.overlayed:
            return super().from_string(source, globals, template_class)
        language = translation.get_language()
        return self.for_language(language).from_string(source, globals, template_class)

    def forget_languages(self):
        """After a change of settings (tests): translations and languages are read again."""
        self.languages.clear()


def environment(**options):
    """The environment factory named in settings.TEMPLATES."""
    options.setdefault("extensions", []).append(DjangoTranslations)
    # Django's engine keeps a template's last newline; so must this one, for the same bytes.
    options["keep_trailing_newline"] = True
    # Compiled templates in a plain dict (a fixed set of files): Jinja's default LRU cache
    # takes a lock and reorders a queue on every template lookup, several per page.
    options.setdefault("cache_size", -1)
    env = PageEnvironment(**options)
    env.newstyle_gettext = True
    env.globals.update(
        gettext=gettext,
        pgettext=pgettext,
        ngettext=ngettext,
        npgettext=npgettext,
        interpolate=interpolate,
        **page_helpers.GLOBALS,
        **filter_markup.GLOBALS,
    )
    env.filters.update(page_helpers.FILTERS, picture=pictures.picture)
    env.filters.update(feed_markup.FILTERS)
    env.filters.update(escape=escape, e=escape, forceescape=django_escape)
    page_helpers.forget_on_setting_changes(env)
    return env

"""Django's makemessages, reading the public pages' Jinja2 templates (templates/jinja2/) too.

Django reads every .html file as a Django template: in a Jinja2 one it would miss each
`{% trans %}` block and take `{% trans "button" %}` for the message "button". Here each Jinja2
template's messages are found by Jinja2's own parser and handed to xgettext on their lines.
"""

from pathlib import Path

from django.core.management.commands import makemessages
from django.template import engines
from django.template.backends.jinja2 import Jinja2


def jinja2_engines():
    return [engine for engine in engines.all() if isinstance(engine, Jinja2)]


def is_jinja2_template(path):
    path = Path(path).resolve()
    return any(
        path.is_relative_to(Path(directory).resolve())
        for engine in jinja2_engines()
        for directory in engine.template_dirs
    )


def python_calls(source, environment):
    """The template's messages as gettext calls xgettext reads, each on its template line."""
    lines = [""] * (source.count("\n") + 1)
    for lineno, function, message in environment.extract_translations(source):
        arguments = message if isinstance(message, tuple) else (message,)
        # Only the strings: values and the number of a plural are not constants (None).
        strings = [repr(argument) for argument in arguments if argument is not None]
        if function in ("ngettext", "npgettext"):
            strings.append("1")
        text = ", ".join(strings)
        lines[lineno - 1] += f"{function}({text}); "
    return "\n".join(lines)


class JinjaAwareBuildFile(makemessages.BuildFile):
    def preprocess(self):
        if not (self.is_templatized and is_jinja2_template(self.path)):
            return super().preprocess()
        source = Path(self.path).read_text(encoding="utf-8")
        environment = jinja2_engines()[0].env
        Path(self.work_path).write_text(python_calls(source, environment), encoding="utf-8")
        return None


class Command(makemessages.Command):
    build_file_class = JinjaAwareBuildFile

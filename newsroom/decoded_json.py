"""JSON columns decoded once per distinct text, for queries run again and again
(newsroom.prepared): a listing reads the same few photos' renditions and translations on
every request."""

from django.db.models import JSONField


def sharing_decoded_json(converters):
    """The converters of a query's columns, JSON fields decoded once per distinct text: a
    listing reads the same few photos' renditions and translations on every request, and
    decoding them was 7 % of an uncached topic page's instructions. Instances read by
    prepared queries therefore share their JSON values (dicts, lists): read them, never change
    them in place (assign a new value)."""
    shared = {}
    for position, (functions, expression) in converters.items():
        field = getattr(expression, "target", None)
        if isinstance(field, JSONField):
            functions = [
                _decoded_once(function) if function == field.from_db_value else function
                for function in functions
            ]
        shared[position] = (functions, expression)
    return shared


def _decoded_once(decode):
    known = {}  # text: its value

    def decoded(value, expression, connection):
        found = known.get(value) if type(value) is str else None
        if found is None:
            found = decode(value, expression, connection)
            if type(value) is str:
                if len(known) >= 1024:  # bounded: rows come and go
                    known.clear()
                known[value] = found
        return found

    return decoded

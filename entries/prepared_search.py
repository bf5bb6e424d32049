"""Searches read by queries compiled once (newsroom.prepared): building and compiling a
search's queryset was a quarter of what an uncached search page cost."""

from django.db import connection

from newsroom.prepared import COUNT_ROWS, Contains, PreparedCountedPage, PreparedQuery

from .models.entry import next_publication_along
from .search import search, search_words, words

# SQLite searches of up to this many words are read by prepared queries (one set per count).
PREPARED_WORDS = 4


class PreparedSearch:
    """`search(listing(**values), query)`, read by prepared queries. On PostgreSQL the query
    is one parameter; on SQLite each word is (in LIKE patterns), so there is one set of queries
    per number of words, up to PREPARED_WORDS (longer queries are not prepared)."""

    def __init__(self, listing, **inputs):
        self.listing = listing
        self.inputs = inputs
        self.by_shape = {}

    def pages(self, query, **values):
        """(rows(offset, limit), None, count(), counted_rows(offset, limit)) of the search,
        for VersionedPaginator's `pages`; None when such a query is not prepared."""
        if connection.vendor == "postgresql":
            shape, given = None, {"query": query}
        else:
            terms = words(query)
            if not 0 < len(terms) <= PREPARED_WORDS:
                return None
            shape, given = len(terms), {f"word{n}": term for n, term in enumerate(terms)}
        queries = self.by_shape.get(shape)
        if queries is None:
            queries = self.by_shape[shape] = self._prepare(shape)
        rows, count, counted_rows = queries
        given.update(values)
        return (
            lambda offset, limit: rows.objects(offset=offset, limit=limit, **given),
            None,
            lambda: count.rows(**given)[0][0],
            lambda offset, limit: counted_rows.objects(offset=offset, limit=limit, **given),
        )

    def _prepare(self, shape):
        if shape is None:
            kinds = {"query": str}

            def build(query, **values):
                return search(self.listing(**values), query)
        else:
            kinds = dict.fromkeys((f"word{n}" for n in range(shape)), Contains)

            def build(**values):
                terms = [values.pop(f"word{n}") for n in range(shape)]
                return search_words(self.listing(**values), terms)

        def counted(**values):
            return build(**values).order_by().values_list(COUNT_ROWS)

        return (
            PreparedQuery(build, window=True, **kinds, **self.inputs),
            PreparedQuery(counted, **kinds, **self.inputs),
            # Counted over its own rows: a search ranks (reads and sorts) every match anyway,
            # and the count's query would match them all a second time.
            PreparedCountedPage(build, along=next_publication_along(), **kinds, **self.inputs),
        )

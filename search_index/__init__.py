"""Search over plain documents, backed by Whoosh.

Imports nothing from ``community``; the core reaches it through ``community.ports.SearchIndex``.

- ``documents``: the values crossing the boundary (``SearchDocument`` in, ``SearchResults`` out).
- ``query``: the search box language (``parse_query`` never raises; ``QUERY_HELP`` for the popover).
- ``engine``: ``WhooshSearch`` (apply / search / similar / rebuild / stamps / warm / close).
- ``analysis``, ``schema``, ``codec``, ``scoring``, ``highlight``: how text is analysed, stored,
  ranked and marked; ``_whoosh_fixes``: speed fixes to Whoosh internals (same files, same results).

Deploying: one process writes (``apply``/``rebuild``) at a time, under a cross-process lock; any
number of processes search. Each searching process keeps per-segment caches (up to about 650 MB for a
100,000-document index once full) and should call ``warm(terms=60)`` once at start, in a thread.
"""

"""Search over plain documents, backed by Whoosh.

Imports nothing from ``community``; the core reaches it through ``community.ports.SearchIndex``.

- ``documents``: the values crossing the boundary (``SearchDocument`` in, ``SearchResults`` out).
- ``query``: the search box language (``parse_query`` never raises; ``QUERY_HELP`` for the popover).
- ``engine``: ``WhooshSearch`` (apply / search / similar / rebuild / stamps / warm / close), the one
  public class; it puts together the steps below, in the order a search takes them.
- ``segments`` (one segment's postings and columns, read once and cached) and ``snapshot`` (one
  generation of the index across its segments); ``matching`` (a parsed query to the documents it
  matches, permissions as set algebra) and ``facets`` (counts per category and tag); ``ranking``
  (relevance, newest and votes; the hits of a page); ``spelling`` ("did you mean");
  ``writing`` (the index directories, changes, merges, rebuilds).
- ``analysis``, ``schema``, ``codec``, ``scoring``, ``highlight``: how text is analysed, stored,
  ranked and marked; ``_whoosh_fixes``: speed fixes to Whoosh internals (same files, same results).

Deploying: one process writes (``apply``/``rebuild``) at a time, under a cross-process lock; any
number of processes search. Each searching process keeps per-segment caches (up to about 650 MB for a
100,000-document index once full) and should call ``warm(terms=60)`` once at start, in a thread.
"""

"""Search: Whoosh schema, indexer and queries over plain documents.

Imports nothing from ``community``; the core reaches it through ``community.ports.SearchIndex``.
"""

"""Search inside the app: the outbox the use cases write, the indexer that feeds the engine
(``search_index``) from it, rebuilding and checking the index, and the queries people run (always
within what they may see)."""

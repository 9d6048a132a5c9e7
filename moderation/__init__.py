"""Moderation: the whole area, from the rules a new post passes to a moderator's decision.

- ``rules/``: the rules engine (watched words and starter sets, flag weights, new accounts, rate
  limits) and ``rules.gate.ModerationRules``, the ``community.ports.ModerationGate`` that
  ``community/app.py`` wires in. It imports only ``community.models``.
- ``screening``: new text through the rules when a post is written, recorded in its transaction.
- ``flags``: flagging a post or a thread; ``queue``: the review queue and claiming items;
  ``decisions``: keep, hide, delete, restore or edit, as named steps; ``post_state``: a post's
  state with everything that follows from it.
- ``audit``: the audit log (writing, reading, CSV, restoring from an entry); ``sanctions``: warn,
  silence, suspend; ``watched_words``: administering the rules; ``overview``: the figures.

The use cases here sit below the forum (which calls ``screening`` and ``audit``) and above the
core, the delivery half of ``community.notifications`` and ``community.search``; they never import
the forum, the web, the API or the edge (``tests/test_architecture.py``).
"""

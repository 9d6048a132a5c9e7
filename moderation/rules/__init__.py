"""The rules engine: decisions made on plain values and model rows, before a human looks.

Watched words and the starter rule sets (``content``), flag weights (``flag_weights``), new
accounts (``newcomers``), posting rate limits (``limits``), and ``gate.ModerationRules``, the
concrete ``community.ports.ModerationGate`` that ``community/app.py`` wires in. It imports only
``community.models``: the use cases of the moderation area (the rest of this package) call it.
"""

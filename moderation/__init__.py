"""Moderation: rules on new content, flags, review queue and audit log.

Imports only ``community.models`` and ``community.events``; the core reaches it through
``community.ports.ModerationGate``.
"""

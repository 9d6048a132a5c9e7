"""Outgoing mail: a queue in the database (``queue``), the messages (``compose``), the way out
(``transport``: SMTP, or .eml files when no SMTP server is configured), the worker that sends
(``sender``), what each person wants (``preferences``) and the signed one-click unsubscribe
(``unsubscribe``). Below the use cases: accounts and notifications write mails through it."""

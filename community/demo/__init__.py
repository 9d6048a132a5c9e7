"""The built-in demo: a fictional manufacturer, its partners and their questions.

The content is data (``content.toml``, read and checked by :mod:`community.demo.content`); the loader
(:mod:`community.demo.loader`) writes it through the product's own use cases.
"""

from __future__ import annotations

from community.demo.content import CONTENT_FILE, DemoContent, DemoContentError, read_content
from community.demo.loader import (
    DEMO_PASSWORD,
    DemoLogin,
    DemoSummary,
    database_is_empty,
    load_demo,
    logins,
    working_logins,
)

__all__ = [
    "CONTENT_FILE",
    "DEMO_PASSWORD",
    "DemoContent",
    "DemoContentError",
    "DemoLogin",
    "DemoSummary",
    "database_is_empty",
    "load_demo",
    "logins",
    "read_content",
    "working_logins",
]

"""Keeping secrets out of the access log: invitation and password-reset links carry their token in
the path, and uvicorn's access log writes every path it serves. Anyone who can read the log could
otherwise accept an invitation or set someone's password."""

from __future__ import annotations

import logging
import re

ACCESS_LOGGER = "uvicorn.access"
# The path of a link whose last part is a secret (the routes in web/accounts_views.py).
_SECRET_PATH = re.compile(r"^(/(?:invitations|password-reset)/)[^/?#\s]+")
MASK = "[token]"


def mask_secrets(path: str) -> str:
    """``/invitations/abc123`` -> ``/invitations/[token]``; any other path as it is."""
    return _SECRET_PATH.sub(lambda m: m.group(1) + MASK, path)


class SecretPathFilter(logging.Filter):
    """Rewrites the path in uvicorn's access records (``%s - "%s %s HTTP/%s" %d``: client, method,
    path, version, status) before any handler formats them."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            masked = mask_secrets(args[2])
            if masked != args[2]:
                record.args = (*args[:2], masked, *args[3:])
        return True


def keep_secrets_out_of_access_log() -> None:
    """Install the filter on uvicorn's access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, SecretPathFilter) for f in logger.filters):
        logger.addFilter(SecretPathFilter())

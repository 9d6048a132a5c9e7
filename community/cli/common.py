"""What every command shares: errors and exit codes, opening the database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from community.errors import ServiceError
from community.settings import Settings

EXIT_USAGE = 2


CONNECT_TIMEOUT = 10.0


class CommandError(Exception):
    """A failure to report as one line (``error: ...``) with exit code 2."""


def fail(message: str) -> int:
    """Each line of ``message`` as an ``error: ...`` line of its own."""
    for line in message.splitlines() or [""]:
        print(f"error: {line}", file=sys.stderr)
    return EXIT_USAGE


def describe(exc: ServiceError) -> str:
    """Field messages say what is wrong ("email: An account with this e-mail address already
    exists.") better than the general one; several, one a line (joined on one line they read
    "...address.; organisation: ...")."""
    if exc.fields:
        return "\n".join(f"{name.replace('_', ' ')}: {message}" for name, message in exc.fields.items())
    return exc.message


Handler = Callable[[Settings, argparse.Namespace], Awaitable[int]]


async def open_db(settings: Settings, *, allow_pending: bool) -> None:
    from tortoise import connections

    from community.db import init_db, pending_migrations

    where = safe_url(settings.database_url)
    if settings.is_sqlite:
        folder = Path(settings.database_url.removeprefix("sqlite://")).parent
        if not folder.is_dir():
            raise CommandError(f"cannot use the database {where}: the folder {folder} does not exist")
    try:
        await init_db(settings.database_url)
        # A plain query first: an unreachable server must say so, not look like pending migrations.
        await asyncio.wait_for(connections.get("default").execute_query("SELECT 1"), CONNECT_TIMEOUT)
        pending = await pending_migrations(settings.database_url)
    except TimeoutError:
        raise CommandError(f"no answer from the database {where} in {CONNECT_TIMEOUT:.0f}s") from None
    except Exception as exc:  # any driver error: the operator needs the reason, not a traceback
        raise CommandError(f"cannot use the database {where}: {exc}") from None
    if pending and not allow_pending:
        raise CommandError(f"the database needs {len(pending)} migration(s); run `community migrate` first")


async def with_db(
    settings: Settings, handler: Handler, args: argparse.Namespace, *, allow_pending: bool
) -> int:
    from community.db import close_db

    try:
        await open_db(settings, allow_pending=allow_pending)
        return await handler(settings, args)
    finally:
        # Open connections would otherwise keep the process alive after an error.
        with contextlib.suppress(Exception):
            await close_db()


def safe_url(url: str) -> str:
    """The database URL without its password, for error messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, _, host = rest.rpartition("@")
        rest = f"{creds.split(':')[0]}:***@{host}" if ":" in creds else rest
    return f"{scheme}{sep}{rest}"

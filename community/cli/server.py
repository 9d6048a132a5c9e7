"""Running the product: serve, migrate, demo content."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import errno
import socket
import sys
from collections.abc import Sequence
from typing import Any

from community.cli.common import CommandError, open_db
from community.settings import Settings


def serve(settings: Settings, args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, not {args.port}")
    if args.workers < 1:
        raise CommandError(f"--workers must be at least 1, not {args.workers}")
    _check_address(args.host, args.port)
    asyncio.run(_check_ready(settings))

    import uvicorn
    from uvicorn.config import WS_PROTOCOLS

    url = f"http://{args.host}:{args.port}"
    print(f"Partner Community on {url} (public address {settings.base_url}); press Ctrl+C to stop.")
    sys.stdout.flush()
    uvicorn.run(
        # An import string and a factory: every worker process builds its own app.
        "community.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        ws="websockets-sansio" if "websockets-sansio" in WS_PROTOCOLS else "auto",
        # Per-message deflate costs fan-out latency and memory at scale (DESIGN.md).
        ws_per_message_deflate=False,
        proxy_headers=True,
        log_level=settings.log_level,
        log_config=log_config(settings.log_level),
    )
    return 0


# The product's own loggers: without them in the configuration, only uvicorn's lines would print
# (who runs the indexer, a reconnected Redis, a failed mail would stay silent).
APP_LOGGERS = ("community", "moderation", "search_index")


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging configuration plus the product's loggers at ``level`` (every worker
    process applies it)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["app"] = {
        "()": "uvicorn.logging.DefaultFormatter",
        "fmt": "%(levelprefix)s %(name)s: %(message)s",
    }
    config["handlers"]["app"] = {
        "formatter": "app",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
    }
    for name in APP_LOGGERS:
        config["loggers"][name] = {"handlers": ["app"], "level": level.upper(), "propagate": False}
    return config


def _check_address(host: str, port: int) -> None:
    """Refuse a busy or impossible address before start-up, in one line (uvicorn would start the
    app, then exit 3 with a bare log line). Bound with SO_REUSEADDR as uvicorn binds, and closed
    again at once: only another listener makes it fail."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"cannot listen on {host}:{port}: the address is already in use (is another server "
                    "running there? Stop it, or choose another --port)"
                ) from None
            raise CommandError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


async def _check_ready(settings: Settings) -> None:
    from community.db import close_db

    try:
        await open_db(settings, allow_pending=False)
    finally:
        with contextlib.suppress(Exception):
            await close_db()


async def migrate(settings: Settings, args: argparse.Namespace) -> int:
    from community.db import apply_migrations

    applied = await apply_migrations(settings.database_url)
    for name in applied:
        print(f"Applied {name}")
    if not applied:
        print("Nothing to migrate.")
    return 0


async def demo(settings: Settings, args: argparse.Namespace) -> int:
    from community import demo as demo_content

    if args.if_empty and not await demo_content.database_is_empty():
        _print_earlier_demo(*await demo_content.working_logins(settings), demo_content.DEMO_PASSWORD)
        return 0
    summary = await demo_content.load_demo(settings)
    print(
        f"Loaded the demo: {summary.organisations} organisations, {summary.users} users, "
        f"{summary.categories} categories, {summary.threads} threads, {summary.answers} answers "
        f"({summary.accepted} accepted), {summary.votes} votes, {summary.articles} knowledge-base articles, "
        f"{summary.private} private question(s), {summary.ratings} support ratings (see /health)."
    )
    _print_logins(summary.logins, summary.password)
    return 0


def _print_earlier_demo(working: Sequence[Any], changed: int, password: str) -> None:
    """What a restart (`make run`) says: only logins that still work with the demo password."""
    if not working and not changed:
        print("The database already has accounts, none of them the demo's: the demo is not loaded.")
        return
    if not working:
        print("The demo was loaded earlier; none of its accounts has the demo password any more.")
        return
    _print_logins(
        working,
        password,
        f"The demo was loaded earlier; its logins still work (password for all: {password}):",
    )
    if changed:
        print(
            f"{changed} demo account{' no longer has' if changed == 1 else 's no longer have'} "
            "the demo password (not listed)."
        )


def _print_logins(logins: Sequence[Any], password: str, heading: str = "") -> None:
    if not logins:
        return
    print(heading or f"Demo logins (password for all: {password}):")
    width = max(len(login.email) for login in logins)
    for login in logins:
        print(f"  {login.email:<{width}}  {login.name} ({login.label})")

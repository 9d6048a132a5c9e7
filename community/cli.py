"""The ``community`` command: serve, migrate, demo content, and the operator's account tools.

A thin layer like the web views: parse arguments, call one service, print the outcome. Every
failure an operator can cause (bad arguments, a service refusing, an unreachable database) ends in
one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from tortoise.exceptions import BaseORMException

from community.errors import ServiceError
from community.models import Role
from community.settings import Settings, SettingsError

EXIT_USAGE = 2
CONNECT_TIMEOUT = 10.0


class CommandError(Exception):
    """A failure to report as one line (``error: ...``) with exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse prints usage plus an error; we want exactly one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="community",
        description="Partner Community: a Q&A community for a manufacturer's channel partners.",
        epilog="Configuration comes from COMMUNITY_* environment variables (see the README).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help_text, description=help_text)

    serve = command("serve", "Run the web server (refuses while migrations are pending).")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default: %(default)s)")

    command("migrate", "Apply pending database migrations.")

    demo = command("demo", "Load the built-in demo content and print the demo logins.")
    demo.add_argument(
        "--if-empty", action="store_true", help="do nothing (but still print the logins) if any user exists"
    )

    org = command("create-org", "Create a partner organisation.")
    org.add_argument("name", metavar="NAME", help="the organisation's name")
    org.add_argument("--tier", help="partner tier (COMMUNITY_PARTNER_TIERS; default: the lowest)")

    cat = command("create-category", "Create a category.")
    cat.add_argument("name", metavar="NAME", help="the category's name")
    cat.add_argument("--slug", help="URL name (default: derived from the name)")
    cat.add_argument(
        "--visibility", default="all", help="who sees it: all, staff, or tiers:gold,silver (default: all)"
    )
    cat.add_argument("--description", default="", help="one or two sentences shown in the category list")

    user = command("create-user", "Create an account; prints a password-reset link if no password is given.")
    user.add_argument("email", metavar="EMAIL", help="the person's e-mail address (their sign-in)")
    user.add_argument("--name", required=True, help="display name")
    user.add_argument("--role", required=True, choices=Role.ALL, help="partner, expert, moderator or admin")
    user.add_argument("--org", help="organisation name (required for partners; staff belong to the company)")
    user.add_argument("--org-admin", action="store_true", help="may invite colleagues into the organisation")
    user.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    invite = command("invite", "Create an invitation and print its link.")
    invite.add_argument("email", metavar="EMAIL", help="who is invited")
    invite.add_argument("--org", required=True, help="organisation name")
    invite.add_argument("--role", required=True, choices=Role.ALL, help="the role they will have")

    token = command("create-token", "Create a personal API token for a user and print it.")
    token.add_argument("email", metavar="EMAIL", help="the user's e-mail address")
    token.add_argument("--name", default="", help="a label to recognise the token by")

    reset = command("reset-password", "Print a password-reset link for a user.")
    reset.add_argument("email", metavar="EMAIL", help="the user's e-mail address")

    imp = command("import-stackexchange", "Import questions and answers from a Stack Exchange Posts.xml.")
    imp.add_argument("posts_xml", metavar="POSTS_XML", help="path to the dump's Posts.xml")
    imp.add_argument(
        "--category", required=True, metavar="SLUG", help="category to import into (created if missing)"
    )
    imp.add_argument(
        "--category-name", help="name for the category if it is created (default: from the slug)"
    )
    imp.add_argument("--site", help="source site name in references (default: from the file name)")

    reindex = command(
        "reindex", "Rebuild the search index from the database (searches keep working until the swap)."
    )
    reindex.add_argument(
        "--wait", action="store_true", help="if a server's search indexer is running, wait until it stops"
    )

    check = command("search-check", "Compare the search index with the database; exit code 1 if they differ.")
    check.add_argument("--fix", action="store_true", help="repair the differences found")
    check.add_argument(
        "--wait", action="store_true", help="with --fix: wait until a server's search indexer stops"
    )
    return parser


# --- running ----------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            return serve(settings, args)
        handler = HANDLERS[args.command]
        return asyncio.run(_with_db(settings, handler, args, allow_pending=args.command == "migrate"))
    except (CommandError, SettingsError) as exc:
        return _fail(str(exc))
    except ServiceError as exc:
        return _fail(_describe(exc))
    except BaseORMException as exc:
        return _fail(f"database error: {exc}")
    except KeyboardInterrupt:
        return _fail("interrupted")


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def _describe(exc: ServiceError) -> str:
    """Field messages say what is wrong ("email: An account with this e-mail address already
    exists.") better than the general one."""
    if exc.fields:
        return "; ".join(f"{name.replace('_', ' ')}: {message}" for name, message in exc.fields.items())
    return exc.message


Handler = Callable[[Settings, argparse.Namespace], Awaitable[int]]


async def _open_db(settings: Settings, *, allow_pending: bool) -> None:
    from tortoise import connections

    from community.db import init_db, pending_migrations

    where = _safe_url(settings.database_url)
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


async def _with_db(
    settings: Settings, handler: Handler, args: argparse.Namespace, *, allow_pending: bool
) -> int:
    from community.db import close_db

    try:
        await _open_db(settings, allow_pending=allow_pending)
        return await handler(settings, args)
    finally:
        # Open connections would otherwise keep the process alive after an error.
        with contextlib.suppress(Exception):
            await close_db()


def _safe_url(url: str) -> str:
    """The database URL without its password, for error messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, _, host = rest.rpartition("@")
        rest = f"{creds.split(':')[0]}:***@{host}" if ":" in creds else rest
    return f"{scheme}{sep}{rest}"


# --- serve ------------------------------------------------------------------------------------


def serve(settings: Settings, args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise CommandError(f"--port must be between 1 and 65535, not {args.port}")
    if args.workers < 1:
        raise CommandError(f"--workers must be at least 1, not {args.workers}")
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
    )
    return 0


async def _check_ready(settings: Settings) -> None:
    from community.db import close_db

    try:
        await _open_db(settings, allow_pending=False)
    finally:
        with contextlib.suppress(Exception):
            await close_db()


# --- database commands ------------------------------------------------------------------------


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
        print("The database already has users: demo content not loaded.")
        _print_logins(await demo_content.existing_logins(settings), demo_content.DEMO_PASSWORD)
        return 0
    summary = await demo_content.load_demo(settings)
    print(
        f"Loaded the demo: {summary.organisations} organisations, {summary.users} users, "
        f"{summary.categories} categories, {summary.threads} threads, {summary.answers} answers "
        f"({summary.accepted} accepted), {summary.votes} votes, {summary.articles} knowledge-base articles."
    )
    _print_logins(summary.logins, summary.password)
    return 0


def _print_logins(logins: Sequence[Any], password: str) -> None:
    if not logins:
        return
    print(f"Demo logins (password for all: {password}):")
    width = max(len(login.email) for login in logins)
    for login in logins:
        print(f"  {login.email:<{width}}  {login.name} ({login.label})")


async def create_org(settings: Settings, args: argparse.Namespace) -> int:
    from community.services import directory

    org = await directory.create_organisation(settings, None, name=args.name, tier=args.tier)
    print(f"Created organisation “{org.name}” (tier {org.tier}, slug {org.slug}).")
    return 0


async def create_category(settings: Settings, args: argparse.Namespace) -> int:
    from community.services import directory

    category = await directory.create_category(
        settings,
        None,
        name=args.name,
        slug=args.slug,
        visibility=args.visibility,
        description=args.description,
    )
    print(
        f"Created category “{category.name}” (slug {category.slug}, "
        f"visible to {directory.visibility_label(category)})."
    )
    return 0


async def _organisation(name: str) -> Any:
    from community.services import directory

    org = await directory.find_organisation(name)
    if org is None:
        raise CommandError(f"no organisation named {name!r} (create it with `community create-org`)")
    return org


async def create_user(settings: Settings, args: argparse.Namespace) -> int:
    from community.services import accounts

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("--password-stdin was given but standard input had no password")
    org = await _organisation(args.org) if args.org else None
    user = await accounts.create_user(
        settings,
        email=args.email,
        display_name=args.name,
        role=args.role,
        organisation=org,
        password=password,
        is_org_admin=args.org_admin,
    )
    print(f"Created {user.role} {user.display_name} <{user.email}> (@{user.handle}).")
    if password is None:
        token = await accounts.create_password_reset(settings, user.email)
        print("They have no password yet; they can set one at:")
        print(accounts.password_reset_url(settings, token))
    return 0


async def invite(settings: Settings, args: argparse.Namespace) -> int:
    from community.services import accounts

    org = await _organisation(args.org)
    invitation, token = await accounts.create_invitation(
        settings, None, email=args.email, organisation=org, role=args.role
    )
    print(f"Invitation for {invitation.email} to join {org.name} as {invitation.role}:")
    print(accounts.invitation_url(settings, token))
    return 0


async def create_token(settings: Settings, args: argparse.Namespace) -> int:
    from community.services import accounts

    user = await accounts.get_user_by_email(args.email)
    token = await accounts.create_api_token(user, args.name)
    print(
        f"API token for {user.email} (shown once; send it as `Authorization: Bearer <token>`):",
        file=sys.stderr,
    )
    print(token)
    return 0


async def reset_password(settings: Settings, args: argparse.Namespace) -> int:
    from community.services import accounts

    token = await accounts.create_password_reset(settings, args.email)
    print(accounts.password_reset_url(settings, token))
    return 0


async def import_stackexchange(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from community.services import importer

    bar: tqdm[Any] | None = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="question", file=sys.stderr, disable=None, desc="Importing")
        bar.update(done - bar.n)

    try:
        report = await importer.import_stackexchange(
            settings,
            args.posts_xml,
            category_slug=args.category,
            category_name=args.category_name,
            site=args.site,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.close()
    print("\n".join(report.lines()))
    return 0


# --- search index -----------------------------------------------------------------------------

LOCK_POLL_SECONDS = 1.0


def _search_index(settings: Settings) -> Any:
    from community.app import search_dir
    from search_index.engine import WhooshSearch

    return WhooshSearch(search_dir(settings))


async def _indexer_lock(settings: Settings, *, wait: bool) -> Any:
    """The lock a server's search indexer holds: one writer per index, so repairs and rebuilds
    happen only while no server process is indexing."""
    from community.app import search_dir
    from community.indexing import IndexerLock

    lock = IndexerLock(search_dir(settings) / "indexer.lock")
    if lock.try_acquire():
        return lock
    if not wait:
        raise CommandError(
            f"the search indexer is running in a server process (it holds {lock.path}); stop it or use --wait"
        )
    print("The search indexer is running in a server process; waiting until it stops…", file=sys.stderr)
    while not lock.try_acquire():  # noqa: ASYNC110 (another process holds it)
        await asyncio.sleep(LOCK_POLL_SECONDS)
    return lock


async def reindex(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from tqdm import tqdm

    from community import indexing

    lock = await _indexer_lock(settings, wait=args.wait)
    try:
        index = _search_index(settings)
        bar = tqdm(
            total=await indexing.expected_document_count(),
            unit="doc",
            file=sys.stderr,
            disable=None,
            desc="Indexing",
        )
        try:
            started = time.monotonic()
            count = await indexing.rebuild_from_database(index, lambda done: bar.update(done - bar.n))
            # Changes committed while it ran (their outbox rows are still there).
            await indexing.Indexer(index, lock).drain()
            seconds = time.monotonic() - started
        finally:
            bar.close()
            await asyncio.to_thread(index.close)
    finally:
        lock.release()
    rate = count / seconds if seconds > 0 else 0.0
    print(f"Reindexed {count:,} documents in {seconds:.1f}s ({rate:,.0f} documents/s).")
    return 0


async def search_check(settings: Settings, args: argparse.Namespace) -> int:
    from community import indexing

    if args.wait and not args.fix:
        raise CommandError("--wait only applies with --fix")
    index = _search_index(settings)
    try:
        report = await indexing.compare_index(index)
        print("\n".join(report.lines()))
        if report.in_step:
            print("The search index is in step with the database.")
            return 0
        if not args.fix:
            print("Run `community search-check --fix` to repair it (or `community reindex`).")
            return 1
        lock = await _indexer_lock(settings, wait=args.wait)
        try:
            done = await indexing.repair(index, report, lock)
        finally:
            lock.release()
        after = await indexing.compare_index(index)
    finally:
        await asyncio.to_thread(index.close)
    if after.in_step:
        print(f"Repaired: {done}. The search index is in step with the database.")
        return 0
    print(f"After the repair ({done}) {after.differences:,} differences remain:")
    print("\n".join(after.lines()))
    return 1


HANDLERS: dict[str, Handler] = {
    "migrate": migrate,
    "demo": demo,
    "create-org": create_org,
    "create-category": create_category,
    "create-user": create_user,
    "invite": invite,
    "create-token": create_token,
    "reset-password": reset_password,
    "import-stackexchange": import_stackexchange,
    "reindex": reindex,
    "search-check": search_check,
}


if __name__ == "__main__":
    sys.exit(main())

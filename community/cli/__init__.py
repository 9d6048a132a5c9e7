"""The ``community`` command: serve, migrate, demo content, and the operator's account and search
tools (one module per group of commands).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from tortoise.exceptions import BaseORMException

from community.cli.backup import backup, restore
from community.cli.common import EXIT_USAGE, CommandError, Handler, describe, fail, with_db
from community.cli.content import generate, import_stackexchange, reindex, search_check
from community.cli.people import (
    create_category,
    create_org,
    create_token,
    create_user,
    invite,
    reset_password,
)
from community.cli.server import demo, migrate, serve
from community.errors import ServiceError
from community.models import Role
from community.settings import Settings, SettingsError


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
    invite.add_argument("--org-admin", action="store_true", help="they will be the organisation's admin")

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

    gen = command(
        "generate",
        "Write a synthetic community of N posts for load tests (real sentences, made-up people).",
    )
    gen.add_argument("--posts", type=int, required=True, metavar="N", help="how many posts to write")
    gen.add_argument("--seed", type=int, default=1, help="the same seed writes the same community")
    gen.add_argument(
        "--from", dest="source", required=True, metavar="POSTS_XML",
        help="a Stack Exchange Posts.xml whose titles and sentences the posts are made of",
    )  # fmt: skip

    saving = command(
        "backup", "Back up the database and the search index into a new folder (the server may keep running)."
    )
    saving.add_argument("directory", metavar="DIR", help="a new or empty folder")
    restoring = command(
        "restore",
        "Put a backup back (stop the server first); the search index is checked against the database.",
    )
    restoring.add_argument("directory", metavar="DIR", help="a folder made by `community backup`")

    check = command("search-check", "Compare the search index with the database; exit code 1 if they differ.")
    check.add_argument("--fix", action="store_true", help="repair the differences found")
    check.add_argument(
        "--wait", action="store_true", help="with --fix: wait until a server's search indexer stops"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.command == "serve":
            return serve(settings, args)
        if args.command in OWN_DATABASE:  # they open and close the database themselves
            return asyncio.run(OWN_DATABASE[args.command](settings, args))
        handler = HANDLERS[args.command]
        code = asyncio.run(with_db(settings, handler, args, allow_pending=args.command == "migrate"))
        sys.stdout.flush()  # here, where a reader gone away is caught, not at exit
        return code
    except (CommandError, SettingsError) as exc:
        return fail(str(exc))
    except ServiceError as exc:
        return fail(describe(exc))
    except BaseORMException as exc:
        return fail(f"database error: {exc}")
    except KeyboardInterrupt:
        return fail("interrupted")
    except BrokenPipeError:
        return _reader_left()


def _reader_left() -> int:
    """The reader of our output went away (``community demo | head -1``): nothing to report. The
    rest of the output goes nowhere, so flushing at exit raises no second BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 0


OWN_DATABASE: dict[str, Handler] = {"backup": backup, "restore": restore}
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
    "generate": generate,
}

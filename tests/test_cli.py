"""The `community` command as an operator uses it.

A few tests start the real console script in a subprocess (each costs about a second); the rest
call ``community.cli.main`` in-process with the same arguments and environment, on SQLite in a
temporary data directory.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from community import cli
from community.accounts import invitations, passwords, tokens
from community.db import close_db, init_db
from community.models import Category, Organisation, OrgKind, Thread, User
from community.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".venv" / "bin" / "community"
COMMANDS = (
    "serve", "migrate", "demo", "create-org", "create-category", "create-user", "invite", "create-token",
    "reset-password", "import-stackexchange", "backup", "restore",
)  # fmt: skip


def _clean_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMUNITY_")}
    env["COMMUNITY_DATA_DIR"] = str(data_dir)
    return env


def run_script(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "community.cli"]
    return subprocess.run(
        [*command, *args], env=_clean_env(data_dir), capture_output=True, text=True, timeout=60, cwd=ROOT
    )


# --- the real console script ------------------------------------------------------------------


def test_help_lists_every_command_with_its_help(tmp_path: Path) -> None:
    result = run_script(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    for name in COMMANDS:
        assert re.search(rf"^\s+{re.escape(name)}\s+\S", result.stdout, re.M) or (
            re.search(rf"^\s+{re.escape(name)}\s*\n\s+\S", result.stdout, re.M)
        ), f"{name} missing from --help"


def test_serve_refuses_to_start_while_migrations_are_pending(tmp_path: Path) -> None:
    result = run_script(tmp_path, "serve", "--port", "8799")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert "community migrate" in lines[0]


def test_bad_arguments_give_one_line_and_exit_code_2(tmp_path: Path) -> None:
    result = run_script(tmp_path, "create-user", "x@example.com", "--name", "X", "--role", "wizard")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "wizard" in lines[0], result.stderr


# --- in-process -------------------------------------------------------------------------------


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        lines = self.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), self.err
        return lines[0]


@dataclass
class Community:
    """Runs ``community ...`` in-process against one data directory."""

    data_dir: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *args: str, stdin: str | None = None) -> Outcome:
        self.capsys.readouterr()
        if stdin is not None:
            self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
        captured = self.capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    def query(self, fn: Callable[[Settings], Awaitable[Any]]) -> Any:
        """Look at the database the command wrote."""
        settings = Settings.from_env()

        async def go() -> Any:
            await init_db(settings.database_url)
            try:
                return await fn(settings)
            finally:
                await close_db()

        return asyncio.run(go())


@pytest.fixture
def community(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Community]:
    for name in list(os.environ):
        if name.startswith("COMMUNITY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("COMMUNITY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COMMUNITY_BASE_URL", "https://partners.example.com")
    yield Community(tmp_path / "data", monkeypatch, capsys)


def test_migrate_applies_once(community: Community) -> None:
    first = community("migrate")
    assert first.code == 0 and "0001_initial" in first.out
    again = community("migrate")
    assert again.code == 0 and again.out.strip() == "Nothing to migrate."


def test_commands_refuse_an_unmigrated_database(community: Community) -> None:
    result = community("create-org", "Acme Routers")
    assert result.code == 2
    assert "community migrate" in result.error_line


def test_operator_sets_up_organisations_people_and_tokens(community: Community) -> None:
    assert community("migrate").code == 0
    assert community("create-org", "Acme Routers", "--tier", "gold").code == 0
    assert "already exists" in community("create-org", "Acme Routers").error_line
    assert "tier" in community("create-org", "Other Co", "--tier", "platinum").error_line

    made = community(
        "create-user", "ann@acme.example", "--name", "Ann Acme", "--role", "partner", "--org", "Acme Routers",
        "--org-admin", "--password-stdin", stdin="a long enough password\n",
    )  # fmt: skip
    assert made.code == 0, made.err
    assert (
        "partner" in community("create-user", "x@acme.example", "--name", "X", "--role", "partner").error_line
    )
    assert (
        "organisation"
        in community(
            "create-user", "y@acme.example", "--name", "Y", "--role", "partner", "--org", "Nowhere Ltd"
        ).error_line
    )

    # A staff member without --org belongs to the company and gets a link to set a password.
    staff = community("create-user", "erin@northwind.example", "--name", "Erin", "--role", "expert")
    assert staff.code == 0, staff.err
    reset_link = re.search(r"https://partners\.example\.com/password-reset/(\S+)", staff.out)
    assert reset_link, staff.out

    invited = community("invite", "bob@acme.example", "--org", "Acme Routers", "--role", "partner")
    invite_link = re.search(r"https://partners\.example\.com/invitations/(\S+)", invited.out)
    assert invited.code == 0 and invite_link, invited.out

    token_run = community("create-token", "ann@acme.example", "--name", "ci")
    assert token_run.code == 0
    token = token_run.out.strip()
    assert community("create-token", "nobody@acme.example").code == 2

    reset = community("reset-password", "ann@acme.example")
    assert reset.code == 0 and "/password-reset/" in reset.out

    assert community("create-category", "Gold corner", "--visibility", "tiers:gold").code == 0
    assert "visibility" in community("create-category", "Odd", "--visibility", "tiers:platinum").error_line

    async def check(settings: Settings) -> None:
        ann = await passwords.authenticate(
            settings, "ann@acme.example", "a long enough password", "127.0.0.1"
        )
        assert ann.is_org_admin and ann.role == "partner"
        erin = await User.get(email="erin@northwind.example").select_related("organisation")
        assert erin.organisation.kind == OrgKind.COMPANY and erin.password_hash is None
        await passwords.reset_password(reset_link.group(1), "erin's new password")
        invitation = await invitations.open_invitation(invite_link.group(1))
        assert invitation.email == "bob@acme.example" and invitation.role == "partner"
        actor = await tokens.actor_for_token(token)
        assert actor is not None and actor.id == ann.id
        org = await Organisation.get(name="Acme Routers")
        assert org.tier == "gold"
        category = await Category.get(slug="gold-corner")
        assert (category.visibility, category.tiers) == ("tiers", ["gold"])

    community.query(check)


def test_demo_if_empty_loads_once_and_always_prints_the_logins(community: Community) -> None:
    assert community("migrate").code == 0
    first = community("demo", "--if-empty")
    assert first.code == 0, first.err
    assert "demo-password-1" in first.out and "admin@northwind.example" in first.out
    again = community("demo", "--if-empty")
    assert again.code == 0
    assert "loaded earlier" in again.out and "admin@northwind.example" in again.out
    assert "already loaded" in community("demo").error_line
    assert community.query(lambda _: Thread.all().count()) == 23


def test_import_stackexchange_reports_and_rejects_malformed_files(
    community: Community, tmp_path: Path
) -> None:
    assert community("migrate").code == 0
    good = tmp_path / "tiny-Posts.xml"
    good.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
        '  <row Id="1" PostTypeId="1" AcceptedAnswerId="2" CreationDate="2015-01-27T20:09:32.720" Score="3" '
        'Body="&lt;p&gt;How fine?&lt;/p&gt;" OwnerUserId="4" Title="How fine should I grind?" '
        'Tags="&lt;grinding&gt;" />\n'
        '  <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2015-01-27T21:00:00.000" Score="5" '
        'Body="&lt;p&gt;Like sand.&lt;/p&gt;" OwnerUserId="5" />\n</posts>\n'
    )
    result = community("import-stackexchange", str(good), "--category", "coffee")
    assert result.code == 0, result.err
    assert re.search(r"threads:\s+1\b", result.out) and re.search(r"accepted:\s+1\b", result.out)
    assert re.search(
        r"threads:\s+0\b", community("import-stackexchange", str(good), "--category", "coffee").out
    )

    bad = tmp_path / "bad-Posts.xml"
    bad.write_text('<posts><row Id="1" PostTypeId="1"')
    malformed = community("import-stackexchange", str(bad), "--category", "coffee")
    assert malformed.code == 2 and "not well-formed XML" in malformed.error_line
    missing = community("import-stackexchange", str(tmp_path / "nope.xml"), "--category", "coffee")
    assert missing.code == 2 and "No such file" in missing.error_line


@pytest.mark.parametrize("unbuffered", ["", "1"])
def test_demo_into_a_pipe_that_closes_early_is_quiet(tmp_path: Path, unbuffered: str) -> None:
    """`community demo | head -1`: the reader goes away before the output is all written (here
    before any of it: deterministic); no BrokenPipe traceback, buffered or not."""
    assert run_script(tmp_path, "migrate").returncode == 0
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "community.cli"]
    env = {k: v for k, v in _clean_env(tmp_path).items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = unbuffered
    demo = subprocess.Popen(
        [*command, "demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    )
    assert demo.stdout is not None and demo.stderr is not None
    demo.stdout.close()  # the reader is gone
    err = demo.stderr.read().decode()
    code = demo.wait(timeout=60)
    assert err == "" and code == 0, err


def test_serve_on_a_busy_port_says_so_in_one_line_before_start_up(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_script(tmp_path, "serve", "--port", str(port))
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "already in use" in lines[0]


def _serve_until_ready(data_dir: Path, port: int, **env: str) -> subprocess.Popen[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "community.cli"]
    return subprocess.Popen(
        [*command, "serve", "--port", str(port)], env={**_clean_env(data_dir), **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
    )  # fmt: skip


@pytest.mark.parametrize(("level", "shown"), [("info", True), ("warning", False)])
def test_serve_prints_the_products_own_messages(tmp_path: Path, level: str, shown: bool) -> None:
    import httpx

    from tests.test_server import free_port

    assert run_script(tmp_path, "migrate").returncode == 0
    port = free_port()
    server = _serve_until_ready(
        tmp_path, port, COMMUNITY_LOG_LEVEL=level, COMMUNITY_BASE_URL="https://community.example"
    )
    try:
        for _ in range(200):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        # Behind https the browser is told to stay on https.
        assert health.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    # The indexer's start-up line comes from the product's logger, not uvicorn's.
    assert ("community.search.indexer: this process runs the search indexer" in output) == shown, output
    # uvicorn shuts down cleanly, then re-raises the signal it caught (hence -15, not 0).
    assert server.returncode in (0, -15), output
    assert ("Application shutdown complete" in output) == shown, output
    assert "Traceback" not in output and "ERROR" not in output, output


def test_several_bad_arguments_are_reported_one_per_line(community: Community) -> None:
    # Before: "error: email: Give a valid e-mail address.; organisation: ..." on one line.
    assert community("migrate").code == 0
    result = community("create-user", "not-an-address", "--name", "", "--role", "partner")
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) >= 2 and all(line.startswith("error: ") for line in lines), result.err
    assert lines == [
        "error: email: Please enter a valid e-mail address.",
        "error: display name: The name is required.",
        "error: organisation: A partner user belongs to a partner organisation.",
    ]
    assert ".; " not in result.err


def test_demo_on_restart_says_the_demo_was_loaded_earlier_and_which_logins_still_work(
    community: Community,
) -> None:
    # Before: "The database already has users: demo content not loaded." and then every demo
    # login with its password, as if nothing had been loaded and whatever their password now.
    assert community("migrate").code == 0
    assert community("demo", "--if-empty").code == 0
    again = community("demo", "--if-empty")
    assert "not loaded" not in again.out
    assert again.out.startswith("The demo was loaded earlier; its logins still work")
    assert "demo-password-1" in again.out and "admin@northwind.example" in again.out

    async def change_password(_: Settings) -> None:
        user = await User.get(email="admin@northwind.example")
        user.password_hash = await passwords.hash_password("another long password")
        await user.save(update_fields=["password_hash"])

    community.query(change_password)
    changed = community("demo", "--if-empty")
    assert "admin@northwind.example" not in changed.out and "hannah.becker@bluewave.example" in changed.out
    assert "1 demo account no longer has the demo password (not listed)." in changed.out

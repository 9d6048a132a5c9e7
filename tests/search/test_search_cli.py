"""`community reindex` and `community search-check [--fix]`, called in-process like an operator
would run them, against a data directory a server could be using at the same time."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from community import cli
from community.accounts import directory, people
from community.actor import Actor
from community.cli import content as search_commands
from community.forum import posts, threads
from community.models import IndexerLease, IndexOutbox, Post, Thread, User
from community.search import maintenance
from community.search.lease import Lease, lease_name
from community.settings import Settings
from search_index.engine import WhooshSearch
from tests.test_cli import Community
from tests.waiting import eventually_sync


async def _seed(settings: Settings) -> dict[str, int]:
    """Three threads, two answers, written through the services (so the outbox has rows)."""
    await people.company_org(settings)
    made = await people.create_user(
        settings, email="erin@northwind.example", display_name="Erin Expert", role="expert", organisation=None
    )
    user = await User.get(id=made.id).select_related("organisation")
    erin = Actor.from_user(user)
    await directory.create_category(settings, None, name="General", slug="general")
    ids: dict[str, int] = {}
    for key, title in (
        ("vpn", "VPN tunnel drops every hour"),
        ("poe", "PoE budget on the 48-port switch"),
        ("lic", "Licence transfer between partners"),
    ):
        thread = await threads.create_thread(
            erin, category="general", kind="discussion", title=title, body=f"Details about {key}."
        )
        ids[key] = thread.id
    ids["vpn_reply"] = (await posts.reply(erin, ids["vpn"], body="Raise the IKE lifetime.")).id
    ids["poe_reply"] = (await posts.reply(erin, ids["poe"], body="Budget is 740 watts.")).id
    return ids


def _search(data_dir: Path, q: str) -> list[str]:
    index = WhooshSearch(data_dir / "search")
    try:
        return [hit.doc_id for hit in index.search(q, allowed_category_ids=[1, 2, 3]).results]
    finally:
        index.close()


def _server_indexing(data_dir: Path) -> Callable[[Settings], Awaitable[Any]]:
    """What a running server's indexer keeps in the database: its lease, freshly renewed."""

    async def hold(settings: Settings) -> None:
        server = Lease(lease_name(data_dir / "search"))
        server.holder = "another-host:4242:server"
        assert await server.try_acquire()

    return hold


def test_help_lists_the_search_commands() -> None:
    text = cli.build_parser().format_help()
    assert "reindex" in text and "search-check" in text


def test_reindex_then_check_then_repair(community: Community) -> None:
    assert community("migrate").code == 0
    ids = community.query(_seed)

    before = community("search-check")
    assert before.code == 1
    assert re.search(r"missing:\s+5\b", before.out) and "waiting in the outbox" in before.out
    assert "community search-check --fix" in before.out

    server_index = WhooshSearch(community.data_dir / "search")  # a running server's searches
    try:
        assert server_index.search("tunnel", allowed_category_ids=[1]).total == 0
        done = community("reindex")
        assert done.code == 0, done.err
        assert "Reindexed 5 documents" in done.out
        # The swap is seen by the server's open index (it checks every refresh_interval seconds).
        eventually_sync(
            lambda: server_index.search("tunnel", allowed_category_ids=[1]).total == 1,
            what="the running server never saw the rebuilt index",
        )
        assert [h.doc_id for h in server_index.search("tunnel", allowed_category_ids=[1]).results] == [
            f"thread:{ids['vpn']}"
        ]
    finally:
        server_index.close()
    assert community.query(lambda _: IndexOutbox.all().count()) == 0

    in_step = community("search-check")
    assert in_step.code == 0 and "in step" in in_step.out

    async def drift(settings: Settings) -> None:
        # Changes that bypassed the outbox: an edit, a deletion, and a thread whose row was lost.
        await Post.filter(id=ids["vpn_reply"]).update(
            body_html="<p>Lower the DPD timer.</p>", edited_at=datetime.now(UTC)
        )
        await Thread.filter(id=ids["poe"]).update(is_deleted=True)
        erin = Actor.from_user(await User.get(email="erin@northwind.example").select_related("organisation"))
        await threads.create_thread(
            erin,
            category="general",
            kind="discussion",
            title="Lost outbox row",
            body="Written while the indexer was down.",
        )
        await IndexOutbox.all().delete()

    community.query(drift)
    found = community("search-check")
    assert found.code == 1
    assert re.search(r"missing:\s+1\b", found.out)
    extra = f"thread:{ids['poe']}, post:{ids['poe_reply']}"  # the deleted thread and its answer
    assert re.search(rf"extra:\s+2  \(e.g. {extra}\)", found.out), found.out
    # The edited answer, and its thread (whose document rolls up its answers).
    assert re.search(rf"outdated:\s+2  \(e.g. thread:{ids['vpn']}, post:{ids['vpn_reply']}\)", found.out)

    fixed = community("search-check", "--fix")
    assert fixed.code == 0, fixed.out + fixed.err
    assert "Repaired: applied" in fixed.out
    assert community("search-check").code == 0
    assert _search(community.data_dir, "DPD") == [f"post:{ids['vpn_reply']}"]
    assert _search(community.data_dir, "watts") == []
    assert _search(community.data_dir, "lost outbox") != []


def test_commands_refuse_while_a_server_indexes(community: Community) -> None:
    assert community("migrate").code == 0
    community.query(_seed)
    community.query(_server_indexing(community.data_dir))
    refused = community("reindex")
    assert refused.code == 2
    assert refused.error_line.startswith("error: the search indexer is running in a server process (")
    assert refused.error_line.endswith("stop it or use --wait")
    fix = community("search-check", "--fix")
    assert fix.code == 2 and "use --wait" in fix.err
    assert community("search-check").code == 1  # looking needs no lock
    community.query(lambda settings: IndexerLease.all().delete())  # the server stopped
    assert "--wait only applies with --fix" in community("search-check", "--wait").error_line


def test_reindex_waits_for_the_server_to_stop(community: Community, monkeypatch: pytest.MonkeyPatch) -> None:
    assert community("migrate").code == 0
    community.query(_seed)
    monkeypatch.setattr(search_commands, "LOCK_POLL_SECONDS", 0.02)
    community.query(_server_indexing(community.data_dir))
    # "The server" stops once the command has found the lease taken (however long the command
    # takes to get there on a busy machine), not after a fixed delay.
    try_acquire = Lease.try_acquire
    refusals = 0

    async def watched_try_acquire(self: Lease) -> bool:
        nonlocal refusals
        got = await try_acquire(self)
        if not got:
            refusals += 1
            await IndexerLease.filter(holder="another-host:4242:server").delete()
        return got

    monkeypatch.setattr(Lease, "try_acquire", watched_try_acquire)
    done = community("reindex", "--wait")
    assert done.code == 0, done.err
    assert refusals >= 1
    assert "waiting until it stops" in done.err and "Reindexed 5 documents" in done.out
    assert community.query(lambda settings: IndexerLease.all().count()) == 0  # and the command let go of it


def test_search_check_rebuilds_when_much_differs(
    community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:

    assert community("migrate").code == 0
    community.query(_seed)
    monkeypatch.setattr(maintenance, "REPAIR_REBUILD_MIN", 2)
    fixed = community("search-check", "--fix")
    assert fixed.code == 0 and "Repaired: rebuilt the index (5 documents)" in fixed.out
    assert len(_search(community.data_dir, "tunnel")) == 1

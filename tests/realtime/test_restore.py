"""A server running while the database is restored (`community restore` on another host, or by
hand): the live event log's ids start again from the backup's, below what the server delivered.
Without noticing, it took every new event for one already seen and delivered none. It goes on
from the restored log, and tells its clients (and any that resume with an id of the log before)
`resync`/`restored`: what they show is of another moment."""

from __future__ import annotations

import pytest
from tortoise import connections

from community import database_epoch
from community.models import LiveEvent
from community.realtime import hub as hub_module
from community.realtime.bus import InProcessBus
from community.realtime.hub import Hub
from tests.realtime.conftest import answer, ask, live, token_for

RESTORE_NOTICED_SECONDS = 15.0  # the hub polls the log every 5 s


async def _put_the_log_back_to(last_id: int) -> None:
    """What a restore does to the live event log: rows after the backup gone, ids start again."""
    await LiveEvent.filter(id__gt=last_id).delete()
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT setval(pg_get_serial_sequence('live_event', 'id'), $1)", [last_id])
    else:  # AUTOINCREMENT: the next id comes from sqlite_sequence
        await conn.execute_query("UPDATE sqlite_sequence SET seq = ? WHERE name = 'live_event'", [last_id])


@pytest.mark.parametrize("how", ["restore_command", "by_hand"])
async def test_a_running_server_goes_on_from_a_restored_log(server, world, how) -> None:
    partner, expert = await token_for(world.partner), await token_for(world.expert)
    thread = await ask(server, await token_for(world.colleague))
    stream = f"thread:{thread['id']}"
    async with live(server, partner, streams=[stream]) as before:
        await answer(server, expert, thread["id"], "Kept by the backup.")
        backed_up = (await before.next(type="event", kind="post"))["id"]
        for n in range(3):
            await answer(server, expert, thread["id"], f"Written after the backup, number {n}.")
        last_seen = max(e["id"] for e in [await before.next(type="event", kind="post") for _ in range(3)])

        await _put_the_log_back_to(backed_up)
        if how == "restore_command":
            await database_epoch.begin_new()
        resync = await before.next(within=RESTORE_NOTICED_SECONDS, type="resync")
        assert resync["reason"] == "restored"
        # Still connected: live events go on, with the restored log's ids.
        after_restore = await answer(server, expert, thread["id"], "Written after the restore.")
        event = await before.next(within=10, type="event", kind="post")
        assert event["data"]["post_id"] == after_restore["id"] and event["id"] <= last_seen

    # A client resuming with an id of the log before is told, and gets live events from now on.
    async with live(server, partner, streams=[stream], after=last_seen) as resumed:
        assert {"type": "resync", "reason": "restored"} in resumed.received
        newer = await answer(server, expert, thread["id"], "Seen by the resumed client.")
        assert (await resumed.next(within=10, type="event", kind="post"))["data"]["post_id"] == newer["id"]


async def test_a_row_delivered_while_the_log_is_read_is_no_restore(db, monkeypatch) -> None:
    """The poll reads the log's newest id while the bus goes on delivering: a cursor that moved
    past the id read meanwhile is not a log put back (it was taken for one: every connection was
    told to resync and the row went out twice, in tests/load/load_faults.py)."""
    hub = Hub(InProcessBus())
    hub.epoch, hub.cursor = await database_epoch.current(), 10
    offered: list[str] = []
    monkeypatch.setattr(hub, "connections", {type("Conn", (), {"skip_upto": 10, "offer": offered.append})()})

    async def newest_id() -> int:
        hub.cursor = 11  # the bus delivered row 11, committed after the read below
        return 10

    monkeypatch.setattr(hub_module.log, "latest_id", newest_id)
    await hub.notice_restore()
    assert hub.cursor == 11 and offered == []

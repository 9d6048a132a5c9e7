"""Sanctions on the websocket: a suspended member's session is refused with the reason and
reconnects once the suspension is lifted; a silenced member keeps reading live."""

from __future__ import annotations

import json

from websockets.asyncio.client import connect

from community.forum import posts, threads
from community.models import SanctionKind
from moderation import sanctions
from tests.conftest import World
from tests.realtime.conftest import in_process_server, live, token_for
from tests.realtime.test_authorisation import _session_cookie


async def test_suspended_session_is_refused_naming_the_end_until_lifted(world: World) -> None:
    mod = world.actor(world.moderator)
    async with in_process_server(world) as srv:
        cookie = {"Cookie": await _session_cookie(srv.base, world.colleague), "Origin": srv.base}
        suspension = await sanctions.impose_sanction(
            mod, user=world.colleague.handle, kind=SanctionKind.SUSPEND, reason="Spam", days=7
        )
        async with connect(srv.ws_url, additional_headers=cookie, open_timeout=5) as ws:
            refusal = json.loads(await ws.recv())
        assert refusal["code"] == "forbidden" and "suspended until" in refusal["message"]

        await sanctions.lift_sanction(mod, suspension.id)
        async with live(srv, cookie) as client:  # the same session works again
            assert client.welcome["user_id"] == world.colleague.id


async def test_silenced_member_still_reads_live(world: World) -> None:
    thread = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question",
        title="Which firmware fixes the PoE budget?", body="Details follow.",
    )  # fmt: skip
    await sanctions.impose_sanction(
        world.actor(world.moderator),
        user=world.colleague.handle,
        kind=SanctionKind.SILENCE,
        reason="x",
        days=1,
    )
    token = await token_for(world.colleague)
    async with in_process_server(world) as srv, live(srv, token, streams=[f"thread:{thread.id}"]) as client:
        await posts.reply(world.actor(world.expert), thread.id, body="Version 4.2 fixes it.")
        event = await client.next(type="event", kind="post")
        assert event["stream"] == f"thread:{thread.id}"

"""Who may open /ws and listen to what: every subscription is authorised, at connect time and
again whenever access changes while connected (the websocket's rows of the authorisation matrix)."""

from __future__ import annotations

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from community.accounts import directory, people
from community.forum import posts, threads
from community.models import Role, SanctionKind, User
from moderation import sanctions
from tests.conftest import CSRF_RE, PASSWORD
from tests.realtime.conftest import ask, in_process_server, live, token_for


async def _thread(world, author, category: str, title: str = "Which rebate applies to refurbished units?"):  # type: ignore[no-untyped-def]
    return await threads.create_thread(
        world.actor(author), category=category, kind="question", title=title, body="Details follow."
    )


async def test_every_stream_is_authorised_for_every_viewer(server, world):
    gold = await _thread(world, world.partner, "gold-programme")
    staff = await _thread(world, world.expert, "staff-room")
    general = await _thread(world, world.partner, "general")
    streams = {
        "gold": f"thread:{gold.id}",
        "staff": f"thread:{staff.id}",
        "general": f"thread:{general.id}",
        "missing": "thread:987654",
        "queue": "queue",
        "someone": f"user:{world.admin.id}",
        "junk": "everything",
        "odd_digits": "thread:²",
    }
    # What each viewer is granted; anything else is refused.
    granted = {
        "partner": {"gold", "general"},
        "silver_partner": {"general"},
        "registered_partner": {"general"},
        "expert": {"gold", "staff", "general"},
        "moderator": {"gold", "staff", "general", "queue"},
        "admin": {"gold", "staff", "general", "queue", "someone"},
    }
    for name, allowed in granted.items():
        user: User = getattr(world, name)
        async with live(server, await token_for(user), streams=list(streams.values())) as client:
            welcome = client.welcome
            own = f"user:{user.id}"
            assert welcome["streams"][0] == own
            got = {k for k, s in streams.items() if s in welcome["streams"]}
            assert got == allowed, name
            refused = {d["stream"]: d for d in welcome["denied"]}
            assert set(refused) == {s for k, s in streams.items() if k not in allowed and s != own}
            # Not visible and not there look the same.
            if "gold" not in allowed:
                assert refused[streams["gold"]]["code"] == refused[streams["missing"]]["code"] == "not_found"
                assert refused[streams["gold"]]["message"] == refused[streams["missing"]]["message"]
            if "queue" not in allowed:
                assert refused["queue"]["code"] == "forbidden"
            # Later subscriptions are checked the same way.
            await client.send(type="subscribe", stream=streams["staff"])
            answer = await client.next()
            if "staff" in allowed:
                assert answer["type"] == "subscribed"
            else:
                assert answer["type"] == "error" and answer["code"] == "not_found"


async def test_a_held_question_is_seen_only_by_its_author_and_moderators(server, world):
    partner = await token_for(world.partner)
    thread = await ask(server, partner, body="We sell it at a 35% discount, net price 120 EUR.")
    stream = f"thread:{thread['id']}"
    for user, allowed in ((world.partner, True), (world.colleague, False), (world.moderator, True)):
        async with live(server, await token_for(user), streams=[stream]) as client:
            assert (stream in client.welcome["streams"]) is allowed


async def test_a_private_question_is_seen_by_its_organisation_and_staff_only(server, world):
    private = await threads.create_thread(
        world.actor(world.partner), category="general", kind="question", private=True,
        title="Our own rollout plan", body="For our organisation and the company only.",
    )  # fmt: skip
    public = await _thread(world, world.silver_partner, "general")
    streams = [f"thread:{private.id}", f"thread:{public.id}"]
    for user, allowed in (
        (world.partner, True), (world.colleague, True), (world.expert, True),
        (world.silver_partner, False), (world.registered_partner, False),
    ):  # fmt: skip
        async with live(server, await token_for(user), streams=streams) as client:
            # Asked for in one hello with a thread they may see: judged one by one all the same.
            assert (streams[0] in client.welcome["streams"]) is allowed, user.email
            assert streams[1] in client.welcome["streams"]
            await client.send(type="unsubscribe", stream=streams[0])
            await client.next(type="unsubscribed")
            await client.send(type="subscribe", stream=streams[0])
            answer = await client.next(where=lambda m: m["type"] in ("subscribed", "error"))
            assert (answer["type"] == "subscribed") is allowed, user.email


async def test_no_credentials_no_connection(server, world):
    async with connect(server.ws_url, additional_headers={"Origin": server.base}, open_timeout=5) as ws:
        assert '"unauthenticated"' in await ws.recv()
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
    bad = {"Authorization": "Bearer not-a-token"}
    async with connect(server.ws_url, additional_headers=bad, open_timeout=5) as ws:
        assert '"unauthenticated"' in await ws.recv()


async def _session_cookie(base: str, user: User) -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        token = CSRF_RE.search((await client.get("/login")).text)
        assert token
        response = await client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token[1], "next": "/"}
        )
        assert response.status_code == 303
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def test_session_cookie_works_from_this_site_only(server, world):
    cookie = await _session_cookie(server.base, world.partner)
    own = {"Cookie": cookie, "Origin": server.base}
    async with live(server, own) as client:
        assert client.welcome["user_id"] == world.partner.id
    for origin in ("https://evil.example", None):
        headers = {"Cookie": cookie, **({"Origin": origin} if origin else {})}
        with pytest.raises(InvalidStatus) as refused:
            async with connect(server.ws_url, additional_headers=headers, open_timeout=5):
                pass
        assert refused.value.response.status_code == 403


async def test_access_withdrawn_while_connected(world):
    gold = await _thread(world, world.partner, "gold-programme")
    general = await _thread(world, world.partner, "general")
    gold_stream, general_stream = f"thread:{gold.id}", f"thread:{general.id}"
    async with in_process_server(world) as srv:
        async with (
            live(srv, await token_for(world.colleague), streams=[gold_stream, general_stream]) as colleague,
            live(srv, await token_for(world.moderator), streams=["queue"]) as moderator,
            live(srv, await token_for(world.silver_partner), streams=[general_stream]) as silver,
        ):
            assert gold_stream in colleague.welcome["streams"]
            # The category becomes staff-only: the partner's subscription ends, nothing leaks after.
            await directory.update_category(
                world.settings, world.actor(world.admin), world.gold_only, name="Gold programme",
                description="", visibility="staff", position=0,
            )  # fmt: skip
            gone = await colleague.next(type="unsubscribed")
            assert gone == {"type": "unsubscribed", "stream": gold_stream, "reason": "not_found"}
            await posts.reply(world.actor(world.expert), gold.id, body="Staff-only now: new terms.")
            await posts.reply(world.actor(world.expert), general.id, body="Still public.")
            event = await colleague.next(type="event", kind="post")
            assert event["stream"] == general_stream
            assert not [m for m in colleague.events() if m["stream"] == gold_stream]

            # A moderator made a partner-level expert loses the queue at once.
            await people.set_role(None, world.moderator, role=Role.EXPERT)
            assert (await moderator.next(type="unsubscribed"))["stream"] == "queue"

            # A suspended user is disconnected (the moderator above is an expert now: the admin).
            await sanctions.impose_sanction(
                world.actor(world.admin), user=world.silver_partner.handle, kind=SanctionKind.SUSPEND,
                reason="Spam", days=3,
            )  # fmt: skip
            assert (await silver.next(type="error"))["code"] == "forbidden"
            with pytest.raises(ConnectionClosed) as closed:
                await silver.next(within=3)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        # ...and refused when they come back.
        async with connect(srv.ws_url, additional_headers=await token_for(world.silver_partner)) as ws:
            assert '"forbidden"' in await ws.recv()

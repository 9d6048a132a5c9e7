"""Answering, editing, deleting, voting and accepting through the JSON API."""

from __future__ import annotations

from typing import Any

import httpx

from community.forum import thread_actions
from community.models import Post, Thread
from tests.api.conftest import bearer
from tests.api.test_threads import ask


async def answer(
    client: httpx.AsyncClient, headers: dict[str, str], thread_id: int, body: str
) -> dict[str, Any]:
    response = await client.post(f"/api/v1/threads/{thread_id}/posts", json={"body": body}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def read_thread(client: httpx.AsyncClient, headers: dict[str, str], thread_id: int) -> dict[str, Any]:
    response = await client.get(f"/api/v1/threads/{thread_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def stored(thread_id: int) -> dict[str, Any]:
    """What the database keeps of a thread: its counters, and the text of every post in it."""
    (row,) = await Thread.filter(id=thread_id).values(
        "reply_count", "last_activity_at", "accepted_post_id", "version"
    )
    row["posts"] = await Post.filter(thread_id=thread_id).order_by("id").values_list("body_source", "state")
    return row


async def test_answer_appears_on_the_thread(client, world):
    thread = await ask(client, await bearer(world.partner))
    expert = await bearer(world.expert)
    response = await client.post(
        f"/api/v1/threads/{thread['id']}/posts",
        json={"body": "Use form **DR-7**, @pat-partner."},
        headers=expert,
    )
    assert response.status_code == 201
    post = response.json()
    assert response.headers["location"] == f"{world.settings.base_url}/api/v1/posts/{post['id']}"
    assert post["thread_id"] == thread["id"] and post["is_opening"] is False
    assert post["author"] == {
        "handle": world.expert.handle,
        "display_name": "Erin Expert",
        "organisation": world.company.name,
        "role": "expert",
    }
    assert "<strong>DR-7</strong>" in post["body_html"]
    assert post["body_source"] == "Use form **DR-7**, @pat-partner."
    assert post["can_edit"] and post["can_delete"] and not post["can_vote"]

    read = (await client.get(f"/api/v1/threads/{thread['id']}", headers=expert)).json()
    assert [p["id"] for p in read["posts"]] == [post["id"]] and read["reply_count"] == 1
    fetched = (await client.get(f"/api/v1/posts/{post['id']}", headers=expert)).json()
    assert fetched == post


async def test_empty_answer_is_422(client, world):
    thread = await ask(client, await bearer(world.partner))
    before = await stored(thread["id"])
    response = await client.post(
        f"/api/v1/threads/{thread['id']}/posts", json={"body": "  "}, headers=await bearer(world.expert)
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["body"] == "Please write something."
    # One letter is something: the message names the minimum rather than deny it was written.
    short = await client.post(
        f"/api/v1/threads/{thread['id']}/posts", json={"body": "x"}, headers=await bearer(world.expert)
    )
    assert short.status_code == 422
    assert short.json()["error"]["fields"]["body"] == "The text needs at least 2 characters."
    assert await stored(thread["id"]) == before


async def test_answer_to_unknown_thread_is_404(client, world):
    response = await client.post(
        "/api/v1/threads/999999/posts", json={"body": "Hi there"}, headers=await bearer(world.expert)
    )
    assert response.status_code == 404
    assert await Post.all().count() == 0


async def test_closed_thread_takes_no_answers(client, world):
    auth = await bearer(world.partner)
    thread = await ask(client, auth)
    first = await answer(client, await bearer(world.expert), thread["id"], "Use form DR-7.")
    await thread_actions.set_status(world.actor(world.partner), thread["id"], status="closed")
    before = await stored(thread["id"])
    for user in (world.partner, world.colleague, world.expert):
        response = await client.post(
            f"/api/v1/threads/{thread['id']}/posts", json={"body": "Late"}, headers=await bearer(user)
        )
        assert response.status_code == 403, user
        assert response.json()["error"]["code"] == "forbidden"
    # The refused answers do not exist: not in the thread, not counted, not stored, no bump.
    read = await read_thread(client, auth, thread["id"])
    assert [p["id"] for p in read["posts"]] == [first["id"]] and read["reply_count"] == 1
    assert read["can_reply"] is False
    assert await stored(thread["id"]) == before


async def test_edit_keeps_revisions(client, world):
    auth = await bearer(world.partner)
    thread = await ask(client, auth)
    opening_id = thread["opening_post"]["id"]
    response = await client.patch(
        f"/api/v1/posts/{opening_id}",
        json={"body": "Updated: which form for *tenders*?", "title": "Deal registration for tenders",
              "tags": ["tenders"], "note": "clearer"},
        headers=auth,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    post = response.json()
    assert post["revision_count"] == 2 and post["edited_at"] is not None
    assert "<em>tenders</em>" in post["body_html"]
    read = (await client.get(f"/api/v1/threads/{thread['id']}", headers=auth)).json()
    assert read["title"] == "Deal registration for tenders" and read["tags"] == ["tenders"]

    revisions = (await client.get(f"/api/v1/posts/{opening_id}/revisions", headers=auth)).json()
    assert revisions["total"] == 2 and revisions["next"] is None
    first, second = revisions["items"]
    assert first["number"] == 1 and first["body_source"] == thread["opening_post"]["body_source"]
    assert second["note"] == "clearer" and second["title"] == "Deal registration for tenders"
    assert second["editor"]["handle"] == world.partner.handle


async def test_edit_rules(client, world):
    thread = await ask(client, await bearer(world.partner))
    post_id = thread["opening_post"]["id"]
    original = await stored(thread["id"])
    other = await client.patch(
        f"/api/v1/posts/{post_id}", json={"body": "Mine now"}, headers=await bearer(world.colleague)
    )
    assert other.status_code == 403
    assert await stored(thread["id"]) == original
    staff = await client.patch(
        f"/api/v1/posts/{post_id}", json={"body": "Tidied up"}, headers=await bearer(world.expert)
    )
    assert staff.status_code == 200
    tidied = await stored(thread["id"])
    assert tidied["posts"] == [("Tidied up", "visible")]
    assert (await Post.get(id=post_id)).revision_count == 2
    bad = await client.patch(
        f"/api/v1/posts/{post_id}", json={"body": ""}, headers=await bearer(world.partner)
    )
    assert bad.status_code == 422 and "body" in bad.json()["error"]["fields"]
    assert await stored(thread["id"]) == tidied
    assert (await Post.get(id=post_id)).revision_count == 2
    missing = await client.patch(
        "/api/v1/posts/999999", json={"body": "Anything"}, headers=await bearer(world.partner)
    )
    assert missing.status_code == 404


async def test_delete_is_soft(client, world):
    thread = await ask(client, await bearer(world.partner))
    expert = await bearer(world.expert)
    post = await answer(client, expert, thread["id"], "Wrong thread, sorry")
    assert (
        await client.delete(f"/api/v1/posts/{post['id']}", headers=await bearer(world.colleague))
    ).status_code == 403
    kept = await read_thread(client, expert, thread["id"])
    assert kept["reply_count"] == 1 and kept["posts"][0]["state"] == "visible"
    response = await client.delete(f"/api/v1/posts/{post['id']}", headers=expert)
    assert response.status_code == 204 and response.content == b""
    read = (await client.get(f"/api/v1/threads/{thread['id']}", headers=expert)).json()
    assert read["reply_count"] == 0
    gone = read["posts"][0]
    assert gone["state"] == "deleted" and gone["body_html"] == "" and gone["can_edit"] is False
    again = await client.delete(f"/api/v1/posts/{post['id']}", headers=expert)
    assert again.status_code == 403


async def test_deleting_the_question_deletes_the_thread(client, world):
    auth = await bearer(world.partner)
    thread = await ask(client, auth)
    assert (
        await client.delete(f"/api/v1/posts/{thread['opening_post']['id']}", headers=auth)
    ).status_code == 204
    assert (await client.get(f"/api/v1/threads/{thread['id']}", headers=auth)).status_code == 404
    assert (await client.get("/api/v1/threads", headers=auth)).json()["total"] == 0


async def test_vote_twice_counts_once_and_can_be_taken_back(client, world):
    thread = await ask(client, await bearer(world.partner))
    post = await answer(client, await bearer(world.expert), thread["id"], "Form DR-7.")
    voter = await bearer(world.colleague)
    for _ in range(2):
        response = await client.post(f"/api/v1/posts/{post['id']}/votes", headers=voter)
        assert response.status_code == 200 and response.json() == {"score": 1, "voted": True}
    read = (await client.get(f"/api/v1/threads/{thread['id']}", headers=voter)).json()
    assert read["posts"][0]["score"] == 1 and read["posts"][0]["voted"] is True
    response = await client.delete(f"/api/v1/posts/{post['id']}/votes", headers=voter)
    assert response.status_code == 200 and response.json() == {"score": 0, "voted": False}
    again = await client.delete(f"/api/v1/posts/{post['id']}/votes", headers=voter)
    assert again.json() == {"score": 0, "voted": False}


async def test_cannot_vote_on_own_post(client, world):
    auth = await bearer(world.partner)
    thread = await ask(client, auth)
    response = await client.post(f"/api/v1/posts/{thread['opening_post']['id']}/votes", headers=auth)
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    read = await read_thread(client, auth, thread["id"])
    assert read["opening_post"]["score"] == 0 and read["score"] == 0
    assert (await Post.get(id=thread["opening_post"]["id"])).score == 0


async def test_accept_by_asker_then_expert_changes_it(client, world):
    asker = await bearer(world.partner)
    thread = await ask(client, asker)
    expert = await bearer(world.expert)
    first = await answer(client, expert, thread["id"], "Try form DR-7.")
    second = await answer(client, await bearer(world.colleague), thread["id"], "Use the tender portal.")

    response = await client.post(f"/api/v1/posts/{second['id']}/accept", headers=asker)
    assert response.status_code == 200
    summary = response.json()
    assert (
        summary["id"] == thread["id"] and summary["accepted_post_id"] == second["id"] and summary["is_solved"]
    )
    read = (await client.get(f"/api/v1/threads/{thread['id']}", headers=asker)).json()
    assert read["posts"][0]["id"] == second["id"] and read["posts"][0]["is_accepted"]

    # Staff may change it, but not to their own answer: a moderator does it for the expert's.
    own = await client.post(f"/api/v1/posts/{first['id']}/accept", headers=expert)
    assert own.status_code == 403 and "person who asked" in own.json()["error"]["message"]
    response = await client.post(f"/api/v1/posts/{first['id']}/accept", headers=await bearer(world.moderator))
    assert response.status_code == 200 and response.json()["accepted_post_id"] == first["id"]
    read = (await client.get(f"/api/v1/threads/{thread['id']}", headers=asker)).json()
    assert [p["is_accepted"] for p in read["posts"]] == [True, False] and read["posts"][0]["id"] == first[
        "id"
    ]

    response = await client.delete(f"/api/v1/posts/{first['id']}/accept", headers=asker)
    assert response.status_code == 200 and response.json()["accepted_post_id"] is None
    me = (await client.get("/api/v1/me", headers=expert)).json()
    assert me["accepted_count"] == 0


async def test_others_cannot_accept(client, world):
    thread = await ask(client, await bearer(world.partner))
    post = await answer(client, await bearer(world.expert), thread["id"], "Form DR-7.")
    for user in (world.silver_partner, world.colleague):
        response = await client.post(f"/api/v1/posts/{post['id']}/accept", headers=await bearer(user))
        assert response.status_code == 403, user
    read = (
        await client.get(f"/api/v1/threads/{thread['id']}", headers=await bearer(world.silver_partner))
    ).json()
    assert read["accepted_post_id"] is None and read["posts"][0]["can_accept"] is False


async def test_question_itself_and_discussions_cannot_be_accepted(client, world):
    auth = await bearer(world.partner)
    thread = await ask(client, auth)
    response = await client.post(f"/api/v1/posts/{thread['opening_post']['id']}/accept", headers=auth)
    assert response.status_code == 422
    talk = await ask(client, auth, kind="discussion")
    reply = await answer(client, await bearer(world.expert), talk["id"], "Nice topic")
    assert (await client.post(f"/api/v1/posts/{reply['id']}/accept", headers=auth)).status_code == 422
    for thread_id in (thread["id"], talk["id"]):
        read = await read_thread(client, auth, thread_id)
        assert read["accepted_post_id"] is None and not read["is_solved"]
    assert not (await read_thread(client, auth, talk["id"]))["posts"][0]["is_accepted"]

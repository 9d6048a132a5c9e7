"""Acting on one post: helpful votes, accepting, editing, deleting, and its revision history."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.errors import Invalid
from community.forum import posts
from community.models import Post, Thread
from community.web.forms import read_fields, safe_next, thread_url
from community.web.render import render


def _is_on(value: str) -> bool:
    """Checkbox-like form values: the vote and accept buttons send 1 (on) or 0 (off)."""
    return value.strip().lower() in ("1", "true", "yes", "on")


async def vote(request: Request) -> Response:
    actor = await require_actor(request)
    post_id = path_id(request, "post_id")
    _, values = await read_fields(request, "helpful", "next")
    await posts.vote(actor, post_id, helpful=_is_on(values["helpful"] or "1"))
    return RedirectResponse(safe_next(values["next"]), 303)


async def accept(request: Request) -> Response:
    actor = await require_actor(request)
    post_id = path_id(request, "post_id")
    _, values = await read_fields(request, "accept", "next")
    thread = await posts.accept_answer(actor, post_id, accept=_is_on(values["accept"] or "1"))
    return RedirectResponse(safe_next(values["next"], thread_url(thread.id, post_id=post_id)), 303)


def _edit_context(
    post: Post, thread: Thread, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    return {"post": post, "thread": thread, "form": values, "errors": errors}


async def edit(request: Request) -> Response:
    actor = await require_actor(request)
    post_id = path_id(request, "post_id")
    post, thread = await posts.post_for_edit(actor, post_id)
    if request.method == "GET":
        values = {"body": post.body_source, "note": ""}
        if post.is_opening:
            values |= {"title": thread.title, "tags": ", ".join(thread.tag_names or [])}
        return await render(request, "posts/edit.html", _edit_context(post, thread, values, {}))
    _, values = await read_fields(request, "body", "title", "tags", "note")
    try:
        await posts.edit_post(
            actor,
            post_id,
            body=values["body"],
            title=values["title"] if post.is_opening else None,
            tags=values["tags"] if post.is_opening else None,
            note=values["note"],
            gate=request.app.state.moderation,
        )
    except Invalid as exc:
        return await render(
            request, "posts/edit.html", _edit_context(post, thread, values, exc.fields), status_code=422
        )
    return RedirectResponse(thread_url(thread.id, post_id=None if post.is_opening else post.id), 303)


async def delete(request: Request) -> Response:
    actor = await require_actor(request)
    post_id = path_id(request, "post_id")
    if request.method == "GET":
        post, thread = await posts.post_for_delete(actor, post_id)
        return await render(request, "posts/delete.html", {"post": post, "thread": thread})
    await read_fields(request)
    post = await posts.delete_post(actor, post_id)
    if post.is_opening:
        return RedirectResponse("/", 303)
    return RedirectResponse(thread_url(post.thread_id, post_id=post.id), 303)


async def permalink(request: Request) -> Response:
    """A post's lasting address: the page of its thread that shows it now, at the post."""
    actor = await require_actor(request)
    post_id = path_id(request, "post_id")
    thread_id, page = await posts.locate_post(actor, post_id, request.app.state.settings.posts_per_page)
    return RedirectResponse(thread_url(thread_id, page, post_id), 303)


async def revisions(request: Request) -> Response:
    actor = await require_actor(request)
    post, thread, rows = await posts.list_revisions(actor, path_id(request, "post_id"))
    return await render(
        request, "posts/revisions.html", {"post": post, "thread": thread, "revisions": list(reversed(rows))}
    )


routes = [
    Route("/posts/{post_id:int}", permalink, methods=["GET"]),
    Route("/posts/{post_id:int}/vote", vote, methods=["POST"]),
    Route("/posts/{post_id:int}/accept", accept, methods=["POST"]),
    Route("/posts/{post_id:int}/edit", edit, methods=["GET", "POST"]),
    Route("/posts/{post_id:int}/delete", delete, methods=["GET", "POST"]),
    Route("/posts/{post_id:int}/revisions", revisions, methods=["GET"]),
]

"""Threads and posts: list, ask, read, answer, edit, delete, revisions, accept, vote."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.api import serialise as out
from community.api.params import page_url, query_text, settings_of
from community.edge.auth import require_actor
from community.edge.reading import client_ip, path_id, read_json
from community.errors import NotFound
from community.forum import lists, merging, posts, thread_page, threads


async def list_threads(request: Request) -> Response:
    actor = await require_actor(request)
    listing = await lists.list_threads(
        actor,
        category=query_text(request, "category"),
        tag=query_text(request, "tag"),
        status=query_text(request, "status"),
        show=query_text(request, "show") or "latest",
        page=lists.parse_page(request.query_params.get("page")),
        per_page=settings_of(request).page_size,
    )
    next_page = listing.next_page
    return JSONResponse(
        out.listing(
            [out.thread_summary(settings_of(request), row) for row in listing.items],
            listing.total,
            page_url(request, next_page) if next_page else None,
        )
    )


async def create_thread(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    thread = await threads.create_thread(
        actor,
        category=data.get("category"),
        kind=data.get("kind"),
        title=data.get("title"),
        body=data.get("body"),
        tags=data.get("tags"),
        gate=request.app.state.moderation,
        ip=client_ip(request),
    )
    settings = settings_of(request)
    view = await thread_page.get_thread_view(
        actor, thread.id, per_page=settings.posts_per_page, with_sources=True
    )
    return JSONResponse(
        out.thread_detail(settings, view, None),
        201,
        headers={"Location": out.api_url(settings, f"/threads/{thread.id}")},
    )


async def get_thread(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    thread_id = path_id(request)
    try:
        view = await thread_page.get_thread_view(
            actor,
            thread_id,
            lists.parse_page(request.query_params.get("page")),
            settings.posts_per_page,
            with_sources=True,
        )
    except NotFound:
        # Merged into another thread: say which one (and send clients that follow redirects there).
        if (target := await merging.merged_target(actor, thread_id)) is None:
            raise
        url = out.api_url(settings, f"/threads/{target}")
        return JSONResponse({"merged_into": target, "url": url}, 308, headers={"Location": url})
    next_url = page_url(request, view.page + 1) if view.page < view.pages else None
    return JSONResponse(out.thread_detail(settings, view, next_url))


async def create_post(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request)
    data = await read_json(request)
    post = await posts.reply(
        actor, thread_id, body=data.get("body"), gate=request.app.state.moderation, ip=client_ip(request)
    )
    thread, view = await posts.get_post_view(actor, post.id)
    return JSONResponse(
        out.post(view, thread.id),
        201,
        headers={"Location": out.api_url(settings_of(request), f"/posts/{post.id}")},
    )


async def get_post(request: Request) -> Response:
    actor = await require_actor(request)
    thread, view = await posts.get_post_view(actor, path_id(request))
    return JSONResponse(out.post(view, thread.id))


async def edit_post(request: Request) -> Response:
    actor = await require_actor(request)
    post_id = path_id(request)
    data = await read_json(request)
    await posts.edit_post(
        actor,
        post_id,
        body=data.get("body"),
        title=data.get("title"),
        tags=data.get("tags"),
        note=data.get("note"),
        gate=request.app.state.moderation,
    )
    thread, view = await posts.get_post_view(actor, post_id)
    return JSONResponse(out.post(view, thread.id))


async def delete_post(request: Request) -> Response:
    actor = await require_actor(request)
    await posts.delete_post(actor, path_id(request))
    return Response(status_code=204)


async def list_revisions(request: Request) -> Response:
    actor = await require_actor(request)
    _, _, rows = await posts.list_revisions(actor, path_id(request))
    return JSONResponse(out.listing([out.revision(r) for r in rows], len(rows)))


async def accept(request: Request) -> Response:
    """POST accepts the answer, DELETE takes the acceptance back; both answer the thread summary."""
    actor = await require_actor(request)
    thread = await posts.accept_answer(actor, path_id(request), accept=request.method == "POST")
    summary = await lists.get_thread_summary(actor, thread.id)
    return JSONResponse(out.thread_summary(settings_of(request), summary))


async def vote(request: Request) -> Response:
    """POST marks the post helpful, DELETE takes the vote back; repeating either changes nothing."""
    actor = await require_actor(request)
    helpful = request.method == "POST"
    score = await posts.vote(actor, path_id(request), helpful=helpful)
    return JSONResponse({"score": score, "voted": helpful})


routes = [
    Route("/threads", list_threads, methods=["GET"]),
    Route("/threads", create_thread, methods=["POST"]),
    Route("/threads/{id:int}", get_thread, methods=["GET"]),
    Route("/threads/{id:int}/posts", create_post, methods=["POST"]),
    Route("/posts/{id:int}", get_post, methods=["GET"]),
    Route("/posts/{id:int}", edit_post, methods=["PATCH"]),
    Route("/posts/{id:int}", delete_post, methods=["DELETE"]),
    Route("/posts/{id:int}/revisions", list_revisions, methods=["GET"]),
    Route("/posts/{id:int}/accept", accept, methods=["POST", "DELETE"]),
    Route("/posts/{id:int}/votes", vote, methods=["POST", "DELETE"]),
]

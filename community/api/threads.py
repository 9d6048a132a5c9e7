"""Threads and posts: list, ask, read, answer, edit, delete, revisions, accept, vote."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from community.api import idempotency, params
from community.api.operations import area
from community.api.params import page_url, query_text, query_typed, settings_of
from community.api.requests import read_body
from community.api.responses import ShapeResponse
from community.api.shapes import api_url
from community.api.shapes.forum import (
    MergedThread,
    NewPost,
    NewThread,
    Post,
    PostEdit,
    RevisionList,
    Thread,
    ThreadList,
    ThreadSummary,
    VoteResult,
    post,
    revision,
    thread_detail,
    thread_summary,
)
from community.edge.auth import require_actor
from community.edge.reading import client_ip, path_id
from community.errors import NotFound
from community.forum import lists, merging, posts, thread_page, threads
from community.validation import KEEP


async def list_threads(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    listing = await lists.list_threads(
        actor,
        category=query_text(request, "category"),
        tag=query_text(request, "tag"),
        status=query_typed(request, "status"),
        show=query_typed(request, "show") or "latest",
        page=params.page(request),
        per_page=settings.page_size,
    )
    next_page = listing.next_page
    return ShapeResponse(
        ThreadList(
            items=[thread_summary(settings, row) for row in listing.items],
            total=listing.total,
            next=page_url(request, next_page) if next_page else None,
        )
    )


async def create_thread(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_body(request, NewThread)
    settings = settings_of(request)

    async def respond(thread_id: int) -> Response:
        view = await thread_page.get_thread_view(
            actor, thread_id, per_page=settings.posts_per_page, with_sources=True
        )
        location = {"Location": api_url(settings, f"/threads/{thread_id}")}
        return ShapeResponse(thread_detail(settings, view, None), 201, headers=location)

    return await idempotency.create(
        request,
        actor,
        lambda within: threads.create_thread(
            actor, **data.args(), gate=request.app.state.moderation, ip=client_ip(request), within=within
        ),
        respond,
    )


async def get_thread(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    thread_id = path_id(request)
    try:
        view = await thread_page.get_thread_view(
            actor,
            thread_id,
            params.page(request),
            settings.posts_per_page,
            with_sources=True,
        )
    except NotFound:
        # Merged into another thread: say which one (and send clients that follow redirects there).
        if (target := await merging.merged_target(actor, thread_id)) is None:
            raise
        url = api_url(settings, f"/threads/{target}")
        return ShapeResponse(MergedThread(merged_into=target, url=url), 308, headers={"Location": url})
    next_url = page_url(request, view.page + 1) if view.page < view.pages else None
    return ShapeResponse(thread_detail(settings, view, next_url))


async def create_post(request: Request) -> Response:
    actor = await require_actor(request)
    thread_id = path_id(request)
    data = await read_body(request, NewPost)

    async def respond(post_id: int) -> Response:
        thread, view = await posts.get_post_view(actor, post_id)
        location = {"Location": api_url(settings_of(request), f"/posts/{post_id}")}
        return ShapeResponse(post(view, thread.id), 201, headers=location)

    return await idempotency.create(
        request,
        actor,
        lambda within: posts.reply(
            actor,
            thread_id,
            **data.args(),
            gate=request.app.state.moderation,
            ip=client_ip(request),
            within=within,
        ),
        respond,
    )


async def get_post(request: Request) -> Response:
    actor = await require_actor(request)
    thread, view = await posts.get_post_view(actor, path_id(request))
    return ShapeResponse(post(view, thread.id))


async def edit_post(request: Request) -> Response:
    """Fields left out stay as they are (title and tags: None keeps them; the body: KEEP)."""
    actor = await require_actor(request)
    post_id = path_id(request)
    data = await read_body(request, PostEdit)
    await posts.edit_post(actor, post_id, **data.args(body=KEEP), gate=request.app.state.moderation)
    thread, view = await posts.get_post_view(actor, post_id)
    return ShapeResponse(post(view, thread.id))


async def delete_post(request: Request) -> Response:
    actor = await require_actor(request)
    await posts.delete_post(actor, path_id(request))
    return Response(status_code=204)


async def list_revisions(request: Request) -> Response:
    actor = await require_actor(request)
    _, _, rows = await posts.list_revisions(actor, path_id(request))
    return ShapeResponse(RevisionList(items=[revision(r) for r in rows], total=len(rows), next=None))


async def accept(request: Request) -> Response:
    """POST accepts the answer, DELETE takes the acceptance back; both answer the thread summary."""
    actor = await require_actor(request)
    thread = await posts.accept_answer(actor, path_id(request), accept=request.method == "POST")
    summary = await lists.get_thread_summary(actor, thread.id)
    return ShapeResponse(thread_summary(settings_of(request), summary))


async def vote(request: Request) -> Response:
    """POST marks the post helpful, DELETE takes the vote back; repeating either changes nothing."""
    actor = await require_actor(request)
    helpful = request.method == "POST"
    score = await posts.vote(actor, path_id(request), helpful=helpful)
    return ShapeResponse(VoteResult(score=score, voted=helpful))


POSTING_RULES = (
    "403 when the caller is silenced (the message says until when). A new account's first posts "
    "are held for a moderator's approval (`state` pending) and may hold only a few links (422 "
    "naming the limit); posting too fast answers 429 with Retry-After."
)
_threads, _posts = area("threads"), area("posts")

routes = [
    _threads("GET", "/threads", list_threads, "listThreads", "List threads",
             ok=(200, ThreadList, "One page of threads the caller may see."), errors=(404, 422),
             description="Newest activity first (pinned first within a category). An unknown category, or "
             "one the caller may not see, answers 404.",
             params=("Category", "Tag", "Status", "Show", "Page")),
    _threads("POST", "/threads", create_thread, "createThread", "Ask a question or start a discussion",
             ok=(201, Thread, "The new thread, as GET /threads/{id} shows it."), errors=(429,),
             description=POSTING_RULES, body=NewThread, location="The thread's API address.",
             params=("IdempotencyKey",)),
    _threads("GET", "/threads/{id:int}", get_thread, "getThread",
             "A thread with its opening post and one page of posts", ok=(200, Thread, "The thread."),
             errors=(404,), params=("Id", "Page"),
             redirect=(308, MergedThread, "This thread was merged into another: Location names it.")),
    _posts("POST", "/threads/{id:int}/posts", create_post, "createPost",
           "Answer a question or reply to a discussion", ok=(201, Post, "The new post."), errors=(404, 429),
           description="403 when the thread is closed. " + POSTING_RULES, params=("Id", "IdempotencyKey"),
           body=NewPost,
           location="The post's API address."),
    _posts("GET", "/posts/{id:int}", get_post, "getPost", "One post", ok=(200, Post, "The post."),
           errors=(404,), params=("Id",)),
    _posts("PATCH", "/posts/{id:int}", edit_post, "editPost", "Edit a post (its author or staff)",
           ok=(200, Post, "The post after the edit."), errors=(404,),
           description="Every edit keeps a revision. Fields left out (and a null `title` or `tags`) stay "
           "as they are. `title` and `tags` apply to opening posts only.",
           params=("Id",), body=PostEdit),
    _posts("DELETE", "/posts/{id:int}", delete_post, "deletePost",
           "Delete a post (its author or a moderator)",
           ok=(204, None,
               "Deleted (softly: revisions are kept). Deleting the opening post deletes the thread."),
           errors=(404,), params=("Id",)),
    _posts("GET", "/posts/{id:int}/revisions", list_revisions, "listRevisions",
           "Every saved version of a post",
           ok=(200, RevisionList, "Oldest first."), errors=(404,), params=("Id",)),
    _posts("POST", "/posts/{id:int}/accept", accept, "acceptAnswer",
           "Accept this answer (the asker, or an expert)",
           ok=(200, ThreadSummary, "The thread, with accepted_post_id set."), errors=(404, 409, 422),
           description="One accepted answer per question; accepting another replaces it. 422 for the "
           "question itself or a post in a discussion.", params=("Id",)),
    _posts("DELETE", "/posts/{id:int}/accept", accept, "unacceptAnswer", "Take the acceptance back",
           ok=(200, ThreadSummary, "The thread, with accepted_post_id null."), errors=(404, 409, 422),
           params=("Id",)),
    _posts("POST", "/posts/{id:int}/votes", vote, "votePost", "Mark a post helpful",
           ok=(200, VoteResult, "The new score; voting twice counts once."), errors=(404,),
           description="403 on one's own post.", params=("Id",)),
    _posts("DELETE", "/posts/{id:int}/votes", vote, "unvotePost", "Take the helpful vote back",
           ok=(200, VoteResult, "The new score."), errors=(404,), params=("Id",)),
]  # fmt: skip

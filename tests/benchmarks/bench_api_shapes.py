"""The cost of answering GET /api/v1/threads/{id} (a question with 50 answers) as JSON: build the
shape from the service's ThreadView, then encode it.

Side by side, in one process and one run:

- ``dicts + json``: the serialiser the API had before issue 10 (plain dicts, ``JSONResponse``'s
  ``json.dumps``), copied here verbatim so the comparison does not depend on the tree it runs in;
- ``msgspec``: ``msgspec.Struct`` declarations, built and encoded with ``msgspec.json.encode``;
- ``pydantic``: ``BaseModel`` declarations built as usual (validated) and ``model_dump_json``;
- ``pydantic (model_construct)``: the same models built without validation;
- ``product``: what the API does now (``community.api.shapes``), when the tree has it.

With ``--endpoint`` it also times the whole endpoint in-process (httpx over ASGI, a temp SQLite
database with a 50-answer question built through the services); ``--baseline-tree PATH`` runs that
part again with another checkout's code (e.g. ``/work/main``) in a subprocess, so the endpoint
before and after the change is measured in the same run.

    .venv/bin/python tests/benchmarks/bench_api_shapes.py [--rounds 40] [--endpoint]
        [--requests 300] [--baseline-tree ../main]

Prints medians (microseconds per thread detail) and each one's ratio to ``dicts + json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import msgspec
import pydantic
from starlette.responses import JSONResponse

from community.forum.thread_page import PostView, ThreadView

BASE_URL = "https://community.example"
N_POSTS = 50

# --- the thread detail a gold partner reads: 50 answers of realistic length ------------------------

PARAGRAPH = (
    "<p>We had the same problem after the <strong>firmware 4.2</strong> update: the unit kept the "
    "old VLAN table until a cold restart. Open <em>Settings &gt; Network &gt; VLAN</em>, export the "
    "table, reset it, and import it again; then check the trunk ports with <code>show vlan brief"
    '</code>. See <a href="https://docs.example/kb/1234" rel="nofollow">the vendor note</a>.</p>\n'
)


def sample_view(n_posts: int = N_POSTS) -> ThreadView:
    start = datetime(2024, 3, 1, 9, 30, 12, 345678, tzinfo=UTC)

    def post(i: int, opening: bool = False) -> PostView:
        body = PARAGRAPH * (1 + i % 4)
        return PostView(
            id=1000 + i, author_id=10 + i % 9, author_name=f"Author Number {i % 9}",
            author_handle=f"author-{i % 9}", author_role="expert" if i % 3 else "partner",
            author_org="Gold Reseller GmbH", is_opening=opening, body_html=body, score=i % 7,
            state="visible", created_at=start + timedelta(minutes=37 * i),
            edited_at=start + timedelta(days=1, minutes=i) if i % 5 == 0 else None,
            revision_count=1 + (i % 5 == 0), is_accepted=i == 3, voted=i % 4 == 0,
            can_edit=i % 10 == 0, can_delete=i % 10 == 0, can_vote=i % 10 != 0, can_accept=False,
            body_source=body if i % 10 == 0 else None, article_id=77 if i == 3 else None,
        )  # fmt: skip

    thread = SimpleNamespace(
        id=42, title="VLAN table lost after the firmware 4.2 update on the X200", kind="question",
        status="open", pinned=False, tag_names=["firmware", "vlan", "x200"],
        category=SimpleNamespace(slug="product-setup", name="Product setup"), reply_count=n_posts,
        view_count=1234, score=5, accepted_post_id=1003, created_at=start,
        last_activity_at=start + timedelta(days=3), locked=False, duplicate_of_id=None,
    )  # fmt: skip
    return ThreadView(
        thread=thread,  # type: ignore[arg-type]
        question=post(0, opening=True),
        posts=[post(i) for i in range(1, n_posts + 1)],
        page=1, pages=1, total_replies=n_posts, can_reply=True, can_accept=False,
    )  # fmt: skip


# --- before: dicts + json (community/api/serialise.py as it was), verbatim ---------------------------


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def dict_summary(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "title": row["title"], "kind": row["kind"], "status": row["status"],
        "pinned": bool(row["pinned"]), "locked": bool(row.get("locked", False)),
        "duplicate_of_id": row.get("duplicate_of_id"), "tags": list(row["tag_names"] or []),
        "category": {"slug": row["category_slug"], "name": row["category_name"]},
        "author": {"handle": row["author_handle"], "display_name": row["author_name"]},
        "reply_count": row["reply_count"], "view_count": row["view_count"], "score": row["score"],
        "accepted_post_id": row["accepted_post_id"], "is_solved": row["accepted_post_id"] is not None,
        "created_at": iso(row["created_at"]), "last_activity_at": iso(row["last_activity_at"]),
        "url": f"{BASE_URL}/t/{row['id']}",
    }  # fmt: skip


def dict_post(pv: PostView, thread_id: int) -> dict[str, Any]:
    return {
        "id": pv.id, "thread_id": thread_id, "is_opening": pv.is_opening,
        "author": {"handle": pv.author_handle, "display_name": pv.author_name,
                   "organisation": pv.author_org, "role": pv.author_role},
        "body_html": pv.body_html, "body_source": pv.body_source, "score": pv.score,
        "is_accepted": pv.is_accepted, "state": pv.state, "created_at": iso(pv.created_at),
        "edited_at": iso(pv.edited_at), "revision_count": pv.revision_count, "voted": pv.voted,
        "can_edit": pv.can_edit, "can_delete": pv.can_delete, "can_vote": pv.can_vote,
        "can_accept": pv.can_accept, "article_id": pv.article_id,
    }  # fmt: skip


def dict_detail(view: ThreadView) -> dict[str, Any]:
    t, opening = view.thread, view.question
    summary = dict_summary(
        {
            "id": t.id, "title": t.title, "kind": t.kind, "status": t.status, "pinned": t.pinned,
            "tag_names": t.tag_names, "category_slug": t.category.slug, "category_name": t.category.name,
            "author_handle": opening.author_handle, "author_name": opening.author_name,
            "reply_count": t.reply_count, "view_count": t.view_count, "score": t.score,
            "accepted_post_id": t.accepted_post_id, "created_at": t.created_at,
            "last_activity_at": t.last_activity_at, "locked": t.locked,
            "duplicate_of_id": t.duplicate_of_id,
        }
    )  # fmt: skip
    return {
        **summary, "can_reply": view.can_reply, "can_accept": view.can_accept,
        "opening_post": dict_post(opening, t.id), "posts": [dict_post(pv, t.id) for pv in view.posts],
        "page": view.page, "pages": view.pages, "total_posts": view.total_replies, "next": None,
    }  # fmt: skip


def encode_dicts(view: ThreadView) -> bytes:
    return JSONResponse(dict_detail(view)).body


# --- candidate: msgspec ----------------------------------------------------------------------------


class MAuthor(msgspec.Struct):
    handle: str
    display_name: str


class MPostAuthor(msgspec.Struct):
    handle: str
    display_name: str
    organisation: str
    role: str


class MCategory(msgspec.Struct):
    slug: str
    name: str


class MPost(msgspec.Struct):
    id: int
    thread_id: int
    is_opening: bool
    author: MPostAuthor
    body_html: str
    body_source: str | None
    score: int
    is_accepted: bool
    state: Literal["visible", "deleted", "hidden", "pending"]
    created_at: datetime
    edited_at: datetime | None
    revision_count: int
    voted: bool
    can_edit: bool
    can_delete: bool
    can_vote: bool
    can_accept: bool
    article_id: int | None


class MThread(msgspec.Struct):
    id: int
    title: str
    kind: Literal["question", "discussion"]
    status: Literal["open", "closed"]
    pinned: bool
    locked: bool
    duplicate_of_id: int | None
    tags: list[str]
    category: MCategory
    author: MAuthor
    reply_count: int
    view_count: int
    score: int
    accepted_post_id: int | None
    is_solved: bool
    created_at: datetime
    last_activity_at: datetime
    url: str
    can_reply: bool
    can_accept: bool
    opening_post: MPost
    posts: list[MPost]
    page: int
    pages: int
    total_posts: int
    next: str | None


def m_post(pv: PostView, thread_id: int) -> MPost:
    return MPost(
        pv.id, thread_id, pv.is_opening,
        MPostAuthor(pv.author_handle, pv.author_name, pv.author_org, pv.author_role),
        pv.body_html, pv.body_source, pv.score, pv.is_accepted, pv.state, pv.created_at, pv.edited_at,
        pv.revision_count, pv.voted, pv.can_edit, pv.can_delete, pv.can_vote, pv.can_accept, pv.article_id,
    )  # fmt: skip


_M_ENCODER = msgspec.json.Encoder()


def encode_msgspec(view: ThreadView) -> bytes:
    t, opening = view.thread, view.question
    shape = MThread(
        t.id, t.title, t.kind, t.status, t.pinned, t.locked, t.duplicate_of_id, list(t.tag_names or []),
        MCategory(t.category.slug, t.category.name), MAuthor(opening.author_handle, opening.author_name),
        t.reply_count, t.view_count, t.score, t.accepted_post_id, t.accepted_post_id is not None,
        t.created_at, t.last_activity_at, f"{BASE_URL}/t/{t.id}", view.can_reply, view.can_accept,
        m_post(opening, t.id), [m_post(pv, t.id) for pv in view.posts], view.page, view.pages,
        view.total_replies, None,
    )  # fmt: skip
    return _M_ENCODER.encode(shape)


# --- candidate: pydantic 2 -------------------------------------------------------------------------


class PAuthor(pydantic.BaseModel):
    handle: str
    display_name: str


class PPostAuthor(PAuthor):
    organisation: str
    role: str


class PCategory(pydantic.BaseModel):
    slug: str
    name: str


class PPost(pydantic.BaseModel):
    id: int
    thread_id: int
    is_opening: bool
    author: PPostAuthor
    body_html: str
    body_source: str | None
    score: int
    is_accepted: bool
    state: Literal["visible", "deleted", "hidden", "pending"]
    created_at: datetime
    edited_at: datetime | None
    revision_count: int
    voted: bool
    can_edit: bool
    can_delete: bool
    can_vote: bool
    can_accept: bool
    article_id: int | None


class PThread(pydantic.BaseModel):
    id: int
    title: str
    kind: Literal["question", "discussion"]
    status: Literal["open", "closed"]
    pinned: bool
    locked: bool
    duplicate_of_id: int | None
    tags: list[str]
    category: PCategory
    author: PAuthor
    reply_count: int
    view_count: int
    score: int
    accepted_post_id: int | None
    is_solved: bool
    created_at: datetime
    last_activity_at: datetime
    url: str
    can_reply: bool
    can_accept: bool
    opening_post: PPost
    posts: list[PPost]
    page: int
    pages: int
    total_posts: int
    next: str | None


def _p_post(make: Callable[..., Any], author: Callable[..., Any], pv: PostView, thread_id: int) -> Any:
    return make(
        id=pv.id, thread_id=thread_id, is_opening=pv.is_opening,
        author=author(handle=pv.author_handle, display_name=pv.author_name,
                      organisation=pv.author_org, role=pv.author_role),
        body_html=pv.body_html, body_source=pv.body_source, score=pv.score, is_accepted=pv.is_accepted,
        state=pv.state, created_at=pv.created_at, edited_at=pv.edited_at,
        revision_count=pv.revision_count, voted=pv.voted, can_edit=pv.can_edit,
        can_delete=pv.can_delete, can_vote=pv.can_vote, can_accept=pv.can_accept,
        article_id=pv.article_id,
    )  # fmt: skip


_P_ADAPTER = pydantic.TypeAdapter(PThread)


def _encode_pydantic(view: ThreadView, construct: bool) -> bytes:
    t, opening = view.thread, view.question
    if construct:
        post_m, author_m = PPost.model_construct, PPostAuthor.model_construct
        thread_m, cat_m, a_m = PThread.model_construct, PCategory.model_construct, PAuthor.model_construct
    else:
        post_m, author_m, thread_m, cat_m, a_m = PPost, PPostAuthor, PThread, PCategory, PAuthor
    shape = thread_m(
        id=t.id, title=t.title, kind=t.kind, status=t.status, pinned=t.pinned, locked=t.locked,
        duplicate_of_id=t.duplicate_of_id, tags=list(t.tag_names or []),
        category=cat_m(slug=t.category.slug, name=t.category.name),
        author=a_m(handle=opening.author_handle, display_name=opening.author_name),
        reply_count=t.reply_count, view_count=t.view_count, score=t.score,
        accepted_post_id=t.accepted_post_id, is_solved=t.accepted_post_id is not None,
        created_at=t.created_at, last_activity_at=t.last_activity_at, url=f"{BASE_URL}/t/{t.id}",
        can_reply=view.can_reply, can_accept=view.can_accept,
        opening_post=_p_post(post_m, author_m, opening, t.id),
        posts=[_p_post(post_m, author_m, pv, t.id) for pv in view.posts],
        page=view.page, pages=view.pages, total_posts=view.total_replies, next=None,
    )  # fmt: skip
    return _P_ADAPTER.dump_json(shape)


def encode_pydantic(view: ThreadView) -> bytes:
    return _encode_pydantic(view, construct=False)


def encode_pydantic_construct(view: ThreadView) -> bytes:
    return _encode_pydantic(view, construct=True)


# --- the product, as the tree has it now ------------------------------------------------------------


def product_encoder() -> Callable[[ThreadView], bytes] | None:
    try:
        from community.api import responses
        from community.api.shapes import forum
    except ImportError:
        return None
    settings = SimpleNamespace(base_url=BASE_URL)

    def encode(view: ThreadView) -> bytes:
        return responses.encode(forum.thread_detail(settings, view, None))  # type: ignore[arg-type]

    return encode


# --- timing -----------------------------------------------------------------------------------------


def median_us(fn: Callable[[ThreadView], bytes], view: ThreadView, rounds: int, per_round: int) -> float:
    for _ in range(per_round):  # warm up
        fn(view)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(per_round):
            fn(view)
        samples.append((time.perf_counter() - start) / per_round * 1e6)
    return statistics.median(samples)


def same_document(a: bytes, b: bytes) -> bool:
    return json.loads(a) == json.loads(b)


def micro(rounds: int, per_round: int) -> None:
    view = sample_view()
    baseline = encode_dicts(view)
    candidates: list[tuple[str, Callable[[ThreadView], bytes]]] = [
        ("dicts + json (before)", encode_dicts),
        ("msgspec", encode_msgspec),
        ("pydantic", encode_pydantic),
        ("pydantic (model_construct)", encode_pydantic_construct),
    ]
    if (product := product_encoder()) is not None:
        candidates.append(("product: community.api.shapes", product))
    print(f"Thread detail with {N_POSTS} posts ({len(baseline):,} bytes of JSON), build + encode;")
    print(f"median of {rounds} rounds x {per_round}, microseconds per response")
    print(f"{'':32}{'median us':>12}{'vs dicts':>10}  same JSON")
    base_us = None
    for name, fn in candidates:
        us = median_us(fn, view, rounds, per_round)
        base_us = base_us or us
        print(f"{name:32}{us:12.1f}{us / base_us:9.2f}x  {same_document(fn(view), baseline)}")


# --- the whole endpoint, in-process -----------------------------------------------------------------


@dataclass
class EndpointFigures:
    tree: str
    median_ms: float
    p90_ms: float
    size: int


async def _endpoint(requests: int) -> EndpointFigures:
    import httpx

    import community
    from community.accounts import directory, people, tokens
    from community.actor import load_actor
    from community.app import create_app
    from community.db import apply_migrations, close_db
    from community.forum import posts, threads
    from community.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        settings = Settings.from_env(
            {
                "COMMUNITY_DATA_DIR": f"{tmp}/data", "COMMUNITY_DATABASE_URL": url,
                "COMMUNITY_SECRET_KEY": "bench-" + "x" * 40, "COMMUNITY_BASE_URL": BASE_URL,
                "COMMUNITY_NEW_ACCOUNT_HELD_POSTS": "0", "COMMUNITY_NEW_ACCOUNT_DAYS": "0",
                "COMMUNITY_POSTS_PER_MINUTE": "0", "COMMUNITY_POSTS_PER_DAY": "0",
                "COMMUNITY_POSTS_PER_IP_MINUTE": "0", "COMMUNITY_POSTS_PER_PAGE": "50",
            }
        )  # fmt: skip
        await apply_migrations(url)
        org = await directory.create_organisation(settings, None, name="Gold Reseller GmbH", tier="gold")
        await directory.create_category(settings, None, name="Product setup", slug="product-setup")
        users = []
        for i in range(8):
            user = await people.create_user(
                settings, email=f"p{i}@gold.example", display_name=f"Person {i}",
                role="expert" if i % 2 else "partner", organisation=None if i % 2 else org,
            )  # fmt: skip
            users.append(user)
        actors = [await load_actor(u.id) for u in users]
        start = datetime.now(UTC) - timedelta(days=10)
        thread = await threads.create_thread(
            actors[0], category="product-setup", kind="question",
            title="VLAN table lost after the firmware 4.2 update", body=PARAGRAPH * 2, tags="vlan firmware",
            created_at=start,
        )  # fmt: skip
        for i in range(N_POSTS):
            await posts.reply(
                actors[1 + i % 7], thread.id, body=PARAGRAPH * (1 + i % 4),
                created_at=start + timedelta(minutes=10 * (i + 1)),
            )  # fmt: skip
        headers = {"Authorization": f"Bearer {await tokens.create_api_token(users[0])}"}
        await close_db()
        app = create_app(settings)
        path = f"/api/v1/threads/{thread.id}"
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                first = await client.get(path, headers=headers)
                assert first.status_code == 200 and len(first.json()["posts"]) == N_POSTS, first.text[:300]
                for _ in range(20):
                    await client.get(path, headers=headers)
                times = []
                for _ in range(requests):
                    t0 = time.perf_counter()
                    await client.get(path, headers=headers)
                    times.append((time.perf_counter() - t0) * 1e3)
        times.sort()
        tree = os.path.dirname(os.path.dirname(community.__file__))
        p90 = times[int(len(times) * 0.9)]
        return EndpointFigures(tree, statistics.median(times), p90, len(first.content))


def endpoint_in_subprocess(tree: Path, requests: int) -> EndpointFigures:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, __file__, "--endpoint-json", "--requests", str(requests)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return EndpointFigures(**json.loads(out.stdout.strip().splitlines()[-1]))


def endpoint(requests: int, baseline_tree: Path | None) -> None:
    here = Path(__file__).resolve().parents[2]
    runs = []
    # Alternate the trees (baseline, this tree, baseline, this tree) so a busy moment hits both.
    for _ in range(2):
        if baseline_tree is not None:
            runs.append(("before", endpoint_in_subprocess(baseline_tree, requests)))
        runs.append(("now", endpoint_in_subprocess(here, requests)))
    print(f"\nGET /api/v1/threads/{{id}}, {N_POSTS} answers, in-process (httpx ASGI, SQLite), "
          f"{requests} requests per run")  # fmt: skip
    print(f"{'':8}{'median ms':>10}{'p90 ms':>9}{'bytes':>9}  tree")
    for label, fig in runs:
        print(f"{label:8}{fig.median_ms:10.2f}{fig.p90_ms:9.2f}{fig.size:9,}  {fig.tree}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--per-round", type=int, default=50)
    parser.add_argument("--endpoint", action="store_true", help="also time the whole endpoint")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--baseline-tree", type=Path, help="another checkout to time the endpoint with")
    parser.add_argument("--endpoint-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.endpoint_json:
        fig = asyncio.run(_endpoint(args.requests))
        print(json.dumps(fig.__dict__))
        return
    print(f"Python {sys.version.split()[0]}, msgspec {msgspec.__version__}, pydantic {pydantic.VERSION}")
    micro(args.rounds, args.per_round)
    if args.endpoint or args.baseline_tree:
        endpoint(args.requests, args.baseline_tree)


if __name__ == "__main__":
    main()

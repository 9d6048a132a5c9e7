"""The knowledge base over JSON: articles (list, read, promote, edit, versions, compare, restore,
state, review, rating) and the products they apply to. Same services and rules as the pages."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.api import serialise as out
from community.api.params import page_url, query_text, settings_of
from community.edge.auth import require_actor
from community.edge.reading import path_id, read_json
from community.forum import lists
from community.kb import articles, feedback, products, reading
from community.kb.reading import ArticleView, Comparison, DiffRow
from community.settings import Settings

Json = dict[str, Any]


def _category(slug: str, name: str) -> Json:
    return {"slug": slug, "name": name}


def _person(row: dict[str, Any] | None) -> Json | None:
    return {"handle": row["handle"], "display_name": row["display_name"]} if row else None


def article_summary(settings: Settings, row: dict[str, Any]) -> Json:
    return {
        "id": row["id"],
        "title": row["title"],
        "summary": row["summary"],
        "category": _category(row["category_slug"], row["category_name"]),
        "tags": list(row["tag_names"] or []),
        "state": row["state"],
        "needs_review": row["needs_review"],
        "helpful_percent": row["helpful_percent"],
        "published_at": out.iso(row["published_at"]),
        "updated_at": out.iso(row["updated_at"]),
        "url": f"{settings.base_url}{articles.article_url(row['id'])}",
    }


def article(settings: Settings, view: ArticleView) -> Json:
    a = view.article
    source = view.source_thread
    return {
        "id": a.id,
        "title": a.title,
        "summary": a.summary,
        "body_html": a.body_html,
        "body_source": a.body_source,
        "category": _category(view.category.slug, view.category.name),
        "tags": list(a.tag_names or []),
        "state": a.state,
        "needs_review": a.needs_review,
        "needs_review_reason": a.needs_review_reason,
        "products": [
            {
                "id": p["version_id"],
                "product": p["product"],
                "version": p["version"],
                "superseded": p["superseded_at"] is not None,
            }
            for p in view.products
        ],
        "answer_author": _person(view.answer_author),
        "curator": _person(view.curator),
        "source_thread": {
            "id": source["id"],
            "title": source["title"],
            "post_id": source["post_id"],
            "url": out.thread_url(settings, source["id"]),
        }
        if source
        else None,
        "version_count": a.version_count,
        "my_rating": view.my_rating,
        "helpful_percent": view.helpful_percent if view.can_curate else None,
        "view_count": a.view_count if view.can_curate else None,
        "related": [{"id": r["id"], "title": r["title"]} for r in view.related],
        "can_curate": view.can_curate,
        "created_at": out.iso(a.created_at),
        "updated_at": out.iso(a.updated_at),
        "published_at": out.iso(a.published_at),
        "url": f"{settings.base_url}{articles.article_url(a.id)}",
    }


def version(row: dict[str, Any]) -> Json:
    return {
        "number": row["number"],
        "title": row["title"],
        "summary": row["summary"],
        "body_source": row["body_source"],
        "body_html": row["body_html"],
        "category": _category(row["category"]["slug"], row["category"]["name"]),
        "tags": list(row["tag_names"] or []),
        "product_version_ids": list(row["product_version_ids"] or []),
        "note": row["note"],
        "editor": {"handle": row["editor_handle"], "display_name": row["editor_name"]},
        "created_at": out.iso(row["created_at"]),
    }


def _diff(rows: list[DiffRow]) -> list[Json]:
    return [
        {"kind": r.kind, "left_no": r.left_no, "left": r.left, "right_no": r.right_no, "right": r.right}
        for r in rows
    ]


def comparison(c: Comparison) -> Json:
    return {
        "from": c.old["number"],
        "to": c.new["number"],
        "changed": c.changed,
        "meta": _diff(c.meta),
        "body": _diff(c.body),
    }


def product_version(row: dict[str, Any]) -> Json:
    return {
        "id": row["id"],
        "product_id": row["product_id"],
        "name": row["name"],
        "superseded": row["superseded_at"] is not None,
        "superseded_at": out.iso(row["superseded_at"]),
    }


async def _article_response(request: Request, article_id: int, status: int = 200) -> Response:
    actor = await require_actor(request)
    view = await reading.get_article(actor, article_id)
    settings = settings_of(request)
    headers = {"Location": out.api_url(settings, f"/kb/articles/{article_id}")} if status == 201 else None
    return JSONResponse(article(settings, view), status, headers=headers)


# --- articles --------------------------------------------------------------------------------------


async def list_articles(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    listing = await reading.list_articles(
        actor,
        category=query_text(request, "category"),
        tag=query_text(request, "tag"),
        product=query_text(request, "product"),
        state=query_text(request, "state"),
        needs_review=query_text(request, "needs_review") in ("1", "true"),
        q_sort=query_text(request, "sort"),
        page=lists.parse_page(request.query_params.get("page")),
        per_page=settings.page_size,
    )
    next_page = listing.next_page
    return JSONResponse(
        out.listing(
            [article_summary(settings, row) for row in listing.items],
            listing.total,
            page_url(request, next_page) if next_page else None,
        )
    )


async def get_article(request: Request) -> Response:
    return await _article_response(request, path_id(request))


def _article_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The fields promote and edit share, as the services take them (missing: None or "")."""
    return {
        "title": data.get("title"),
        "summary": data.get("summary", ""),
        "body": data.get("body"),
        "tags": data.get("tags"),
        "category": data.get("category"),
        "products": data.get("products"),
        "note": data.get("note", ""),
        "confirm_wider": data.get("confirm_wider") is True,
    }


async def promote(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    created = await articles.promote_answer(
        actor, path_id(request), state=data.get("state"), **_article_fields(data)
    )
    return await _article_response(request, created.id, 201)


async def edit_article(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request)
    data = await read_json(request)
    await articles.edit_article(
        actor, article_id, base_version=data.get("base_version"), **_article_fields(data)
    )
    return await _article_response(request, article_id)


async def list_versions(request: Request) -> Response:
    actor = await require_actor(request)
    _, rows = await reading.list_versions(actor, path_id(request))
    return JSONResponse(out.listing([version(r) for r in rows], len(rows)))


async def compare(request: Request) -> Response:
    actor = await require_actor(request)
    q = request.query_params
    return JSONResponse(
        comparison(await reading.compare_versions(actor, path_id(request), q.get("from"), q.get("to")))
    )


async def restore(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request)
    data = await read_json(request)
    await articles.restore_version(actor, article_id, path_id(request, "number"), note=data.get("note", ""))
    return await _article_response(request, article_id)


async def set_state(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request)
    data = await read_json(request)
    await articles.set_state(actor, article_id, data.get("state"))
    return await _article_response(request, article_id)


async def review(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request)
    if request.method == "DELETE":
        await feedback.clear_needs_review(actor, article_id)
    else:
        data = await read_json(request)
        await feedback.flag_needs_review(actor, article_id, data.get("reason"))
    return await _article_response(request, article_id)


async def rating(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request)
    helpful = None if request.method == "DELETE" else (await read_json(request)).get("helpful", "")
    await feedback.rate(actor, article_id, helpful)
    return await _article_response(request, article_id)


# --- products --------------------------------------------------------------------------------------


async def list_products(request: Request) -> Response:
    rows = await products.readable_products(await require_actor(request))
    items = [
        {"id": p["id"], "name": p["name"], "versions": [product_version(v) for v in p["versions"]]}
        for p in rows
    ]
    return JSONResponse(out.listing(items, len(items)))


async def create_product(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    created = await products.create_product(actor, name=data.get("name"))
    return JSONResponse({"id": created.id, "name": created.name, "versions": []}, 201)


async def add_version(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_json(request)
    created = await products.add_version(actor, path_id(request), name=data.get("name"))
    row = {"id": created.id, "product_id": created.product_id, "name": created.name, "superseded_at": None}
    return JSONResponse(product_version(row), 201)


async def set_superseded(request: Request) -> Response:
    actor = await require_actor(request)
    version_id = path_id(request)
    data = await read_json(request)
    version_row, flagged = await products.set_superseded(actor, version_id, data.get("superseded"))
    return JSONResponse(
        {
            "version": product_version(
                {
                    "id": version_row.id,
                    "product_id": version_row.product_id,
                    "name": version_row.name,
                    "superseded_at": version_row.superseded_at,
                }
            ),
            "articles_sent_to_review": flagged,
        }
    )


routes = [
    Route("/kb/articles", list_articles, methods=["GET"]),
    Route("/kb/articles/{id:int}", get_article, methods=["GET"]),
    Route("/kb/articles/{id:int}", edit_article, methods=["PATCH"]),
    Route("/kb/articles/{id:int}/versions", list_versions, methods=["GET"]),
    Route("/kb/articles/{id:int}/compare", compare, methods=["GET"]),
    Route("/kb/articles/{id:int}/versions/{number:int}/restore", restore, methods=["POST"]),
    Route("/kb/articles/{id:int}/state", set_state, methods=["POST"]),
    Route("/kb/articles/{id:int}/review", review, methods=["POST", "DELETE"]),
    Route("/kb/articles/{id:int}/rating", rating, methods=["POST", "DELETE"]),
    Route("/posts/{id:int}/promote", promote, methods=["POST"]),
    Route("/kb/products", list_products, methods=["GET"]),
    Route("/kb/products", create_product, methods=["POST"]),
    Route("/kb/products/{id:int}/versions", add_version, methods=["POST"]),
    Route("/kb/product-versions/{id:int}", set_superseded, methods=["PATCH"]),
]

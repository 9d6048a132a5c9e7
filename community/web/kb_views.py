"""Knowledge-base pages: home and lists, the article, promote and edit forms (with a server-side
preview), version history and comparison, lifecycle, review flags, ratings, and the products
admin page."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from community import policy
from community.actor import Actor
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.errors import Invalid, ServiceError
from community.forum import lists
from community.kb import articles, feedback, reading
from community.kb.products import add_version, create_product, readable_products, set_superseded
from community.web.forms import read_fields
from community.web.render import flash, render

ARTICLE_FIELDS = ("title", "summary", "body", "tags", "category", "note", "state", "version")
STATE_LABELS = {"draft": "Draft", "published": "Published", "archived": "Archived"}


def _on(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _products(form: FormData) -> list[str]:
    return [p for p in form.getlist("products") if isinstance(p, str)]


# --- home, lists, the article -----------------------------------------------------------------------


async def home(request: Request) -> Response:
    actor = await require_actor(request)
    q = request.query_params
    names = ("category", "tag", "product", "sort", "state", "review")
    filters = {name: (q.get(name) or "").strip() for name in names}
    context: dict[str, Any] = {"filters": filters, "states": STATE_LABELS}
    if any(filters.values()) or q.get("page"):
        context["listing"] = await reading.list_articles(
            actor,
            category=filters["category"] or None,
            tag=filters["tag"] or None,
            product=filters["product"] or None,
            state=filters["state"] or None,
            needs_review=filters["review"] == "1",
            q_sort=filters["sort"] or None,
            page=lists.parse_page(q.get("page")),
            per_page=request.app.state.settings.page_size,
        )
    else:
        context["home"] = await reading.home(actor)
    return await render(request, "kb/home.html", context)


async def article(request: Request) -> Response:
    actor = await require_actor(request)
    view = await reading.get_article(actor, path_id(request, "article_id"), count_view=True)
    return await render(request, "kb/article.html", {"view": view, "a": view.article, "states": STATE_LABELS})


# --- promote and edit ------------------------------------------------------------------------------


async def _form_page(
    request: Request,
    actor: Actor,
    values: dict[str, Any],
    *,
    action: str,
    heading: str,
    source: dict[str, Any] | None = None,
    article_id: int | None = None,
    errors: dict[str, str] | None = None,
    preview_html: str = "",
    stale: dict[str, int] | None = None,
    status: int = 200,
) -> Response:
    options = await reading.form_options(actor)
    return await render(
        request,
        "kb/form.html",
        {
            "form": values,
            "errors": errors or {},
            "action": action,
            "heading": heading,
            "source": source,
            "article_id": article_id,
            "preview_html": preview_html,
            "stale": stale,
            **options,
        },
        status_code=status,
    )


async def _read_article_form(request: Request) -> tuple[dict[str, Any], bool, bool]:
    form, values = await read_fields(request, *ARTICLE_FIELDS, "confirm_wider", "action")
    data: dict[str, Any] = dict(values)
    data["products"] = _products(form)
    return data, _on(values["confirm_wider"]), values["action"] == "preview"


async def _preview_page(
    request: Request, actor: Actor, data: dict[str, Any], page: dict[str, Any]
) -> Response:
    """The form again with the sanitised preview (or the fields' errors): nothing is saved."""
    try:
        html = await reading.preview(actor, data)
    except Invalid as exc:
        return await _form_page(request, actor, data, errors=exc.fields, status=422, **page)
    return await _form_page(request, actor, data, preview_html=html, **page)


async def promote(request: Request) -> Response:
    actor = await require_actor(request)
    post_id = path_id(request, "post_id")
    try:
        post, thread, defaults = await articles.promotion_source(actor, post_id)
    except articles.AlreadyPromoted as exc:
        flash(request, "This answer already is a knowledge-base article.")
        return RedirectResponse(articles.article_url(exc.article_id), 303)
    source = {"thread": thread, "post_id": post.id, "category": thread.category}
    page = {"action": f"/posts/{post.id}/promote", "heading": "Mark as best practice", "source": source}
    if request.method == "GET":
        values = {**defaults, "tags": ", ".join(defaults["tags"])}
        return await _form_page(request, actor, values, **page)
    data, confirm_wider, previewing = await _read_article_form(request)
    if previewing:
        return await _preview_page(request, actor, data, page)
    try:
        created = await articles.promote_answer(
            actor, post.id, title=data["title"], summary=data["summary"], body=data["body"],
            tags=data["tags"], category=data["category"], products=data["products"], note=data["note"],
            state=data["state"], confirm_wider=confirm_wider,
        )  # fmt: skip
    except articles.AlreadyPromoted as exc:
        flash(request, "This answer already is a knowledge-base article.")
        return RedirectResponse(articles.article_url(exc.article_id), 303)
    except Invalid as exc:
        return await _form_page(request, actor, data, errors=exc.fields, status=422, **page)
    flash(request, "Marked as best practice: the article is saved.")
    return RedirectResponse(articles.article_url(created.id), 303)


async def edit(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request, "article_id")
    current, category = await articles.load_curatable_article(actor, article_id)
    source = None
    page = {"action": f"/kb/{article_id}/edit", "heading": "Edit article", "article_id": article_id}
    if request.method == "GET":
        view = await reading.get_article(actor, article_id)
        values = {
            "title": current.title, "summary": current.summary, "body": current.body_source,
            "tags": ", ".join(current.tag_names or []), "category": category.slug,
            "products": [str(p["version_id"]) for p in view.products], "note": "",
            "version": str(current.version_count),
        }  # fmt: skip
        return await _form_page(request, actor, values, source=source, **page)
    data, confirm_wider, previewing = await _read_article_form(request)
    if previewing:
        return await _preview_page(request, actor, data, page)
    try:
        await articles.edit_article(
            actor, article_id, title=data["title"], summary=data["summary"], body=data["body"],
            tags=data["tags"], category=data["category"], products=data["products"], note=data["note"],
            base_version=data["version"], confirm_wider=confirm_wider,
        )  # fmt: skip
    except Invalid as exc:
        return await _form_page(request, actor, data, errors=exc.fields, status=422, **page)
    except articles.StaleVersion as exc:
        # What the editor typed stays; saving again (now from the newest version) is deliberate.
        stale = {"base": exc.base, "current": exc.current}
        data["version"] = str(exc.current)
        return await _form_page(request, actor, data, stale=stale, status=409, **page)
    flash(request, "Saved as a new version.")
    return RedirectResponse(articles.article_url(article_id), 303)


# --- history ---------------------------------------------------------------------------------------


async def versions(request: Request) -> Response:
    actor = await require_actor(request)
    found, rows = await reading.list_versions(actor, path_id(request, "article_id"))
    return await render(
        request, "kb/versions.html", {"a": found, "versions": rows, "can_curate": policy.can_curate(actor)}
    )


async def compare(request: Request) -> Response:
    actor = await require_actor(request)
    q = request.query_params
    comparison = await reading.compare_versions(
        actor, path_id(request, "article_id"), q.get("from"), q.get("to")
    )
    return await render(request, "kb/compare.html", {"c": comparison, "a": comparison.article})


async def restore(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request, "article_id")
    _, values = await read_fields(request, "note")
    number = path_id(request, "number")
    await articles.restore_version(actor, article_id, number, note=values["note"])
    flash(request, f"Version {number} restored as the newest version.")
    return RedirectResponse(articles.article_url(article_id), 303)


# --- lifecycle, review, rating ---------------------------------------------------------------------


async def set_state(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request, "article_id")
    _, values = await read_fields(request, "state")
    changed = await articles.set_state(actor, article_id, values["state"])
    flash(request, f"The article is now {STATE_LABELS[changed.state].lower()}.")
    return RedirectResponse(articles.article_url(article_id), 303)


async def review(request: Request) -> Response:
    """Flag "needs review" (anyone who reads it; a reason is required) or clear it (curators)."""
    actor = await require_actor(request)
    article_id = path_id(request, "article_id")
    _, values = await read_fields(request, "reason", "clear")
    if _on(values["clear"]):
        await feedback.clear_needs_review(actor, article_id)
        flash(request, "The review flag is cleared.")
    else:
        try:
            await feedback.flag_needs_review(actor, article_id, values["reason"])
        except Invalid as exc:
            view = await reading.get_article(actor, article_id)
            return await render(
                request,
                "kb/article.html",
                {
                    "view": view,
                    "a": view.article,
                    "states": STATE_LABELS,
                    "errors": exc.fields,
                    "form": values,
                },
                status_code=422,
            )
        flash(request, "Thank you: the article is marked as needing review and its curators are told.")
    return RedirectResponse(articles.article_url(article_id), 303)


async def rating(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request, "article_id")
    _, values = await read_fields(request, "helpful")
    choices: dict[str, object] = {"1": True, "0": False, "clear": None}
    await feedback.rate(actor, article_id, choices.get(values["helpful"].strip().lower(), values["helpful"]))
    return RedirectResponse(articles.article_url(article_id) + "#rating", 303)


# --- products (staff) ------------------------------------------------------------------------------


async def _products_page(
    request: Request,
    actor: Actor,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return await render(
        request,
        "kb/products.html",
        {
            "products": await readable_products(actor),
            "can_manage": policy.can_manage_products(actor),
            "form": values or {},
            "errors": errors or {},
        },
        status_code=status,
    )


async def products(request: Request) -> Response:
    actor = await require_actor(request)
    if request.method == "GET":
        return await _products_page(request, actor)
    _, values = await read_fields(request, "name")
    try:
        created = await create_product(actor, name=values["name"])
    except ServiceError as exc:
        if not exc.fields or exc.status_code not in (409, 422):
            raise
        return await _products_page(request, actor, values, exc.fields, status=exc.status_code)
    flash(request, f"Product “{created.name}” added.")
    return RedirectResponse("/kb/products", 303)


async def product_versions(request: Request) -> Response:
    actor = await require_actor(request)
    _, values = await read_fields(request, "version_name")
    try:
        created = await add_version(actor, path_id(request, "product_id"), name=values["version_name"])
    except ServiceError as exc:
        if not exc.fields or exc.status_code not in (409, 422):
            raise
        errors = {"version_name": exc.fields.get("name", exc.message)}
        return await _products_page(request, actor, values, errors, status=exc.status_code)
    flash(request, f"Version “{created.name}” added.")
    return RedirectResponse("/kb/products", 303)


async def supersede(request: Request) -> Response:
    actor = await require_actor(request)
    _, values = await read_fields(request, "superseded")
    version, flagged = await set_superseded(
        actor, path_id(request, "version_id"), _on(values["superseded"] or "1")
    )
    if version.superseded_at:
        flash(request, f"Marked superseded: {flagged} article(s) sent to review, their curators told.")
    else:
        flash(request, "Marked current again.")
    return RedirectResponse("/kb/products", 303)


routes = [
    Route("/kb", home),
    Route("/kb/products", products, methods=["GET", "POST"]),
    Route("/kb/products/{product_id:int}/versions", product_versions, methods=["POST"]),
    Route("/kb/product-versions/{version_id:int}/superseded", supersede, methods=["POST"]),
    Route("/kb/{article_id:int}", article),
    Route("/kb/{article_id:int}/edit", edit, methods=["GET", "POST"]),
    Route("/kb/{article_id:int}/versions", versions),
    Route("/kb/{article_id:int}/compare", compare),
    Route("/kb/{article_id:int}/versions/{number:int}/restore", restore, methods=["POST"]),
    Route("/kb/{article_id:int}/state", set_state, methods=["POST"]),
    Route("/kb/{article_id:int}/review", review, methods=["POST"]),
    Route("/kb/{article_id:int}/rating", rating, methods=["POST"]),
    Route("/posts/{post_id:int}/promote", promote, methods=["GET", "POST"]),
]

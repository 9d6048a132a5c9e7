"""The knowledge base over JSON: articles (list, read, promote, edit, versions, compare, restore,
state, review, rating) and the products they apply to. Same services and rules as the pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from community import policy
from community.api.operations import area
from community.api.params import page as page_number
from community.api.params import page_url, query_flag, query_text, query_typed, settings_of
from community.api.requests import read_body
from community.api.responses import ShapeResponse
from community.api.shapes import api_url
from community.api.shapes.kb import (
    CURATORS,
    Article,
    ArticleComparison,
    ArticleEdit,
    ArticleList,
    ArticleStateChange,
    ArticleVersionList,
    NewArticle,
    NewProduct,
    NewProductVersion,
    Product,
    ProductList,
    ProductVersion,
    ProductVersionChange,
    Rating,
    RestoreVersion,
    ReviewRequest,
    SupersedeResult,
    article,
    article_summary,
    comparison,
    product,
    product_version,
    version,
)
from community.edge.auth import require_actor
from community.edge.reading import path_id
from community.kb import articles, feedback, products, reading
from community.validation import KEEP


async def _article_response(request: Request, article_id: int, status: int = 200) -> Response:
    actor = await require_actor(request)
    view = await reading.get_article(actor, article_id)
    settings = settings_of(request)
    headers = {"Location": api_url(settings, f"/kb/articles/{article_id}")} if status == 201 else None
    return ShapeResponse(article(settings, view), status, headers=headers)


# --- articles --------------------------------------------------------------------------------------


async def list_articles(request: Request) -> Response:
    actor = await require_actor(request)
    settings = settings_of(request)
    listing = await reading.list_articles(
        actor,
        category=query_text(request, "category"),
        tag=query_text(request, "tag"),
        product=query_typed(request, "product"),
        state=query_typed(request, "state"),
        needs_review=query_flag(request, "needs_review"),
        q_sort=query_typed(request, "sort"),
        page=page_number(request),
        per_page=settings.page_size,
    )
    next_page = listing.next_page
    return ShapeResponse(
        ArticleList(
            items=[article_summary(settings, row) for row in listing.items],
            total=listing.total,
            next=page_url(request, next_page) if next_page else None,
        )
    )


async def get_article(request: Request) -> Response:
    return await _article_response(request, path_id(request))


async def promote(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_body(request, NewArticle)
    args = data.args(summary="", note="")
    created = await articles.promote_answer(
        actor, path_id(request), **args | {"confirm_wider": args["confirm_wider"] is True}
    )
    return await _article_response(request, created.id, 201)


async def edit_article(request: Request) -> Response:
    """Fields left out keep the article's current value (a null summary empties it, as before)."""
    actor = await require_actor(request)
    article_id = path_id(request)
    data = await read_body(request, ArticleEdit)
    args = data.args(title=KEEP, summary=KEEP, body=KEEP, tags=KEEP, category=KEEP, products=KEEP, note="")
    await articles.edit_article(actor, article_id, **args | {"confirm_wider": args["confirm_wider"] is True})
    return await _article_response(request, article_id)


async def list_versions(request: Request) -> Response:
    actor = await require_actor(request)
    _, rows = await reading.list_versions(actor, path_id(request))
    return ShapeResponse(ArticleVersionList(items=[version(r) for r in rows], total=len(rows), next=None))


async def compare(request: Request) -> Response:
    actor = await require_actor(request)
    q = request.query_params
    return ShapeResponse(
        comparison(await reading.compare_versions(actor, path_id(request), q.get("from"), q.get("to")))
    )


async def restore(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request)
    data = await read_body(request, RestoreVersion)
    await articles.restore_version(actor, article_id, path_id(request, "number"), **data.args(note=""))
    return await _article_response(request, article_id)


async def set_state(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request)
    data = await read_body(request, ArticleStateChange)
    await articles.set_state(actor, article_id, **data.args())
    return await _article_response(request, article_id)


async def review(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request)
    if request.method == "DELETE":
        await feedback.clear_needs_review(actor, article_id)
    else:
        data = await read_body(request, ReviewRequest)
        await feedback.flag_needs_review(actor, article_id, data.args()["reason"])
    return await _article_response(request, article_id)


async def rating(request: Request) -> Response:
    actor = await require_actor(request)
    article_id = path_id(request)
    if request.method == "DELETE":
        helpful = None
    else:
        helpful = (await read_body(request, Rating)).args(helpful="")["helpful"]
    await feedback.rate(actor, article_id, helpful)
    return await _article_response(request, article_id)


# --- products --------------------------------------------------------------------------------------


async def list_products(request: Request) -> Response:
    rows = await products.readable_products(await require_actor(request))
    return ShapeResponse(ProductList(items=[product(p) for p in rows], total=len(rows), next=None))


async def create_product(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_body(request, NewProduct)
    created = await products.create_product(actor, **data.args())
    return ShapeResponse(Product(id=created.id, name=created.name, versions=[]), 201)


async def add_version(request: Request) -> Response:
    actor = await require_actor(request)
    data = await read_body(request, NewProductVersion)
    created = await products.add_version(actor, path_id(request), **data.args())
    return ShapeResponse(product_version(created), 201)


async def set_superseded(request: Request) -> Response:
    actor = await require_actor(request)
    version_id = path_id(request)
    data = await read_body(request, ProductVersionChange)
    version_row, flagged = await products.set_superseded(actor, version_id, data.args()["superseded"])
    return ShapeResponse(
        SupersedeResult(version=product_version(version_row), articles_sent_to_review=flagged)
    )


_route = area("knowledge base")
_ARTICLE_OK = (200, Article, "The article as the caller sees it.")

routes = [
    _route("GET", "/kb/articles", list_articles, "listArticles", "List articles",
           ok=(200, ArticleList, "One page of articles the caller may see."), errors=(404, 422),
           description="Published articles (staff may ask for drafts or archived ones) in categories the "
           "caller may see. An unknown or invisible category answers 404.",
           params=("Category", "KbTag", "KbProduct", "KbState", "KbNeedsReview", "KbSort", "Page")),
    _route("GET", "/kb/articles/{id:int}", get_article, "getArticle", "One article", ok=_ARTICLE_OK,
           errors=(404,), params=("Id",)),
    _route("PATCH", "/kb/articles/{id:int}", edit_article, "editArticle",
           "Edit an article (saves a new version)",
           ok=_ARTICLE_OK, errors=(404, 409),
           description=CURATORS + " Fields left out stay as they are. 409 when `base_version` is not the "
           "current version.", params=("Id",), body=ArticleEdit),
    _route("GET", "/kb/articles/{id:int}/versions", list_versions, "listArticleVersions",
           "Every version of an article, newest first", ok=(200, ArticleVersionList,
           "All versions (one page)."),
           errors=(404,), params=("Id",)),
    _route("GET", "/kb/articles/{id:int}/compare", compare, "compareArticleVersions",
           "Two versions side by side",
           ok=(200, ArticleComparison, "Line pairs of the two versions."), errors=(404, 422),
           params=("Id", "VersionFrom", "VersionTo")),
    _route("POST", "/kb/articles/{id:int}/versions/{number:int}/restore", restore, "restoreArticleVersion",
           "Restore an older version (as a new version)", ok=_ARTICLE_OK, errors=(404, 409),
           description=CURATORS, params=("Id", "VersionNumber"), body=RestoreVersion),
    _route("POST", "/kb/articles/{id:int}/state", set_state, "setArticleState",
           "Publish, archive or return an article to draft", ok=_ARTICLE_OK, errors=(404, 409),
           description=CURATORS + " Archived articles leave lists and search; staff still reach them.",
           params=("Id",), body=ArticleStateChange),
    _route("POST", "/kb/articles/{id:int}/review", review, "flagArticleForReview",
           "Say the article needs review",
           ok=_ARTICLE_OK, errors=(404,), description="Anyone who may read it; its curators are notified.",
           params=("Id",), body=ReviewRequest),
    _route("DELETE", "/kb/articles/{id:int}/review", review, "clearArticleReview",
           "Clear the needs-review flag",
           ok=_ARTICLE_OK, errors=(404,), description=CURATORS, params=("Id",)),
    _route("POST", "/kb/articles/{id:int}/rating", rating, "rateArticle",
           "Rate an article helped or did not help", ok=_ARTICLE_OK, errors=(404, 409),
           description="One rating per reader, changeable; 409 for drafts and archived articles.",
           params=("Id",), body=Rating),
    _route("DELETE", "/kb/articles/{id:int}/rating", rating, "unrateArticle", "Take your rating back",
           ok=_ARTICLE_OK, errors=(404, 409), params=("Id",)),
    _route("POST", "/posts/{id:int}/promote", promote, "promoteAnswer",
           "Mark an answer best practice: a new knowledge-base article", ok=(201, Article,
           "The new article."),
           errors=(404, 409),
           description=CURATORS + " 409 when the answer already is an article (the message names it). A "
           "restricted thread's answer goes only to a category with the same or a narrower audience unless "
           "`confirm_wider` is true.", params=("Id",), body=NewArticle,
           location="The article's API address."),
    _route("GET", "/kb/products", list_products, "listProducts", "Products and versions articles apply to",
           ok=(200, ProductList, "All of them (one page)."), errors=()),
    _route("POST", "/kb/products", create_product, "createProduct", "Add a product",
           ok=(201, Product, "The new product."), errors=(409,), description=CURATORS, body=NewProduct,
           guard=policy.can_manage_products),
    _route("POST", "/kb/products/{id:int}/versions", add_version, "addProductVersion",
           "Add a version to a product",
           ok=(201, ProductVersion, "The new version."), errors=(404, 409), description=CURATORS,
           params=("Id",), body=NewProductVersion, guard=policy.can_manage_products),
    _route("PATCH", "/kb/product-versions/{id:int}", set_superseded, "setProductVersionSuperseded",
           "Mark a product version superseded (or current again)",
           ok=(200, SupersedeResult, "The version, and how many articles went to review."), errors=(404,),
           description=CURATORS
           + " Superseding sends its articles to needs-review and notifies their curators.",
           params=("Id",), body=ProductVersionChange, guard=policy.can_manage_products),
]  # fmt: skip

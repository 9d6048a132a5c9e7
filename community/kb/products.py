"""The products and versions articles apply to (a small list staff manage). Marking a version
superseded sends every article about it to "needs review" and tells their curators."""

from __future__ import annotations

from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor
from community.errors import Conflict, Forbidden, Invalid, NotFound
from community.kb.feedback import notify_curators
from community.models import Article, ArticleProduct, ArticleState, Product, ProductVersion
from community.notifications.delivery import Created, announce
from community.timeutil import utcnow

PRODUCT_NAME_MAX = 80
VERSION_NAME_MAX = 60


def assert_can_manage(actor: Actor) -> None:
    if not policy.can_manage_products(actor):
        raise Forbidden("Only experts, moderators and administrators manage products.")


async def readable_products(actor: Actor) -> list[dict[str, Any]]:
    """The product list for someone who asked to see it (the products page and API)."""
    if not policy.can_see_products(actor):
        raise Forbidden("Sign in to see the products.")
    return await list_products()


async def list_products() -> list[dict[str, Any]]:
    """Every product with its versions (readers need them as filters, staff to manage them)."""
    products = await Product.all().order_by("name").values("id", "name")
    versions = await ProductVersion.all().order_by("name").values("id", "product_id", "name", "superseded_at")
    by_product: dict[int, list[dict[str, Any]]] = {}
    for row in versions:
        by_product.setdefault(row["product_id"], []).append(row)
    return [{**p, "versions": by_product.get(p["id"], [])} for p in products]


async def create_product(actor: Actor, *, name: object) -> Product:
    assert_can_manage(actor)
    fields: dict[str, str] = {}
    text = validation.short_text(
        name, fields, "name", "The product name", required=True, max_len=PRODUCT_NAME_MAX
    )
    validation.raise_if(fields)
    try:
        return await Product.create(name=text)
    except IntegrityError:
        raise Conflict(f"There already is a product called “{text}”.", {"name": "Already exists."}) from None


async def add_version(actor: Actor, product_id: int, *, name: object) -> ProductVersion:
    assert_can_manage(actor)
    product = await Product.filter(id=product_id).first()
    if product is None:
        raise NotFound("No such product.")
    fields: dict[str, str] = {}
    text = validation.short_text(
        name, fields, "name", "The version name", required=True, max_len=VERSION_NAME_MAX
    )
    validation.raise_if(fields)
    try:
        return await ProductVersion.create(product_id=product.id, name=text)
    except IntegrityError:
        raise Conflict(
            f"{product.name} already has a version “{text}”.", {"name": "Already exists."}
        ) from None


async def set_superseded(actor: Actor, version_id: int, superseded: object) -> tuple[ProductVersion, int]:
    """Returns the version and how many articles were sent to review."""
    assert_can_manage(actor)
    version = await ProductVersion.filter(id=version_id).select_related("product").first()
    if version is None:
        raise NotFound("No such product version.")
    if not isinstance(superseded, bool):
        raise Invalid({"superseded": "Say true (superseded) or false (current)."})
    if bool(version.superseded_at) == superseded:
        return version, 0
    label = f"{version.product.name} {version.name}"
    created: Created = []
    flagged = 0
    async with in_transaction():
        # Conditional: two staff marking it at once send the articles to review once.
        changed = await ProductVersion.filter(id=version.id, superseded_at__isnull=superseded).update(
            superseded_at=utcnow() if superseded else None
        )
        if changed and superseded:
            links = ArticleProduct.filter(product_version_id=version.id)
            ids = await links.values_list("article_id", flat=True)
            articles = await Article.filter(id__in=list(ids)).exclude(state=ArticleState.ARCHIVED)
            reason = f"{label} was superseded"
            for article in articles:
                await Article.filter(id=article.id).update(needs_review=True, needs_review_reason=reason)
                created += await notify_curators(article, reason, actor.id)
            flagged = len(articles)
    await announce(created)
    return await ProductVersion.get(id=version.id), flagged

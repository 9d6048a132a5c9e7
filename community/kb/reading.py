"""Reading the knowledge base: the article page, lists and facets, the version history and a
side-by-side comparison. Everything goes through the same visibility rule as the writes
(``policy.can_see_article``): an article inherits its category's audience."""

from __future__ import annotations

import difflib
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tortoise.expressions import F

from community import policy, validation
from community.actor import Actor
from community.db import fetch_rows
from community.errors import Invalid, NotFound
from community.kb.articles import load_visible_article, read_input
from community.kb.products import list_products
from community.models import (
    Article,
    ArticleProduct,
    ArticleRating,
    ArticleState,
    ArticleTag,
    ArticleVersion,
    Category,
    User,
)
from community.post_text import render_post_body
from community.timeutil import utcnow
from community.visibility import load_visible_thread

SORTS = ("newest", "helpful")
RELATED_MAX = 5


def helpful_percent(helpful: int, unhelpful: int) -> int | None:
    total = helpful + unhelpful
    return round(100 * helpful / total) if total else None


@dataclass
class ArticleView:
    article: Article
    category: Category
    products: list[dict[str, Any]]
    curator: dict[str, Any]
    answer_author: dict[str, Any] | None  # only when the reader may see the source thread
    source_thread: dict[str, Any] | None  # only when the reader may see the thread
    related: list[dict[str, Any]]
    my_rating: bool | None
    can_curate: bool
    helpful_percent: int | None
    extra: dict[str, Any] = field(default_factory=dict)


async def _person(user_id: int | None) -> dict[str, Any] | None:
    if user_id is None:
        return None
    rows = await User.filter(id=user_id).values("id", "handle", "display_name")
    return rows[0] if rows else None


async def article_products(article_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    rows = await ArticleProduct.filter(article_id__in=article_ids).values(
        "article_id",
        version_id="product_version_id",
        version="product_version__name",
        superseded_at="product_version__superseded_at",
        product_id="product_version__product_id",
        product="product_version__product__name",
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["product"], r["version"])):
        found.setdefault(row.pop("article_id"), []).append(row)
    return found


_VIEW_DAY_SQL = (
    "INSERT INTO article_view_day (article_id, day, views) VALUES (?, ?, 1) "
    "ON CONFLICT (article_id, day) DO UPDATE SET views = article_view_day.views + 1"
)


async def count_view_today(article_id: int) -> None:
    """One more read today (UTC): the channel-health dashboard counts article views per period.
    One statement, so concurrent readers never lose a count."""
    await fetch_rows(_VIEW_DAY_SQL, article_id, utcnow().date())


async def get_article(actor: Actor, article_id: int, *, count_view: bool = False) -> ArticleView:
    article, category = await load_visible_article(actor, article_id)
    if count_view:
        await Article.filter(id=article.id).update(view_count=F("view_count") + 1)
        await count_view_today(article.id)
    source = None
    if article.source_thread_id is not None:
        try:
            thread = await load_visible_thread(actor, article.source_thread_id)
            source = {"id": thread.id, "title": thread.title, "post_id": article.source_post_id}
        except NotFound:
            source = None
    rating = await ArticleRating.filter(article_id=article.id, user_id=actor.id).values_list(
        "helpful", flat=True
    )
    return ArticleView(
        article=article,
        category=category,
        products=(await article_products([article.id])).get(article.id, []),
        curator=await _person(article.curator_id) or {},
        # Who answered is part of the thread: named only to those who may read that thread.
        answer_author=await _person(article.answer_author_id) if source else None,
        source_thread=source,
        related=await related_articles(actor, article),
        my_rating=bool(rating[0]) if rating else None,
        can_curate=policy.can_curate(actor),
        helpful_percent=helpful_percent(article.helpful_count, article.unhelpful_count),
    )


async def related_articles(actor: Actor, article: Article) -> list[dict[str, Any]]:
    """Published articles the reader may see that share tags with this one, most shared first."""
    if not article.tag_names:
        return []
    visible = await policy.visible_category_ids(actor)
    rows = (
        await ArticleTag.filter(
            tag__name__in=list(article.tag_names),
            article__state=ArticleState.PUBLISHED,
            article__category_id__in=visible,
        )
        .exclude(article_id=article.id)
        .values_list("article_id", flat=True)
    )
    ranked = [aid for aid, _ in Counter(rows).most_common(RELATED_MAX)]
    if not ranked:
        return []
    found = {r["id"]: r for r in await Article.filter(id__in=ranked).values("id", "title", "summary")}
    return [found[aid] for aid in ranked if aid in found]


# --- lists -----------------------------------------------------------------------------------------

LIST_FIELDS = (
    "id", "title", "summary", "state", "needs_review", "tag_names", "view_count", "helpful_count",
    "unhelpful_count", "published_at", "updated_at", "created_at", "source_thread_id", "source_post_id",
)  # fmt: skip
LIST_RELATED = {"category_slug": "category__slug", "category_name": "category__name"}


@dataclass
class ArticleList:
    items: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    per_page: int
    sort: str
    filters: dict[str, Any]

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


async def list_articles(
    actor: Actor,
    *,
    category: str | None = None,
    tag: str | None = None,
    product: object = None,
    state: str | None = None,
    needs_review: bool = False,
    q_sort: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> ArticleList:
    """Published articles the actor may see; staff may also list drafts or archived ones."""
    visible = await policy.visible_category_ids(actor)
    query = Article.filter(category_id__in=visible)
    fields: dict[str, str] = {}
    sort = q_sort or "newest"
    if sort not in SORTS:
        fields["sort"] = f"Sort by one of: {', '.join(SORTS)}."
    wanted_state = state or ArticleState.PUBLISHED
    if wanted_state not in ArticleState.ALL:
        fields["state"] = f"State is one of: {', '.join(ArticleState.ALL)}."
    elif wanted_state != ArticleState.PUBLISHED and not policy.can_curate(actor):
        fields["state"] = "Only staff can list drafts and archived articles."
    product_id: int | None = None
    if product not in (None, ""):
        product_id = validation.positive_int(str(product))
        if product_id is None:
            fields["product"] = "The product is a product version id."
    if tag and not validation.can_name_something(tag, 60):
        fields["tag"] = "The tag has characters that are not allowed or is too long."
    validation.raise_if(fields)
    query = query.filter(state=wanted_state)
    if needs_review:
        query = query.filter(needs_review=True)
    if category:
        cat = (
            await Category.filter(slug=category).first()
            if validation.can_name_something(category, 60)
            else None
        )
        if cat is None or cat.id not in visible:
            raise NotFound("No such category.")
        query = query.filter(category_id=cat.id)
    if tag:
        query = query.filter(article_tags__tag__name=tag.strip().lower())
    if product_id is not None:
        query = query.filter(product_links__product_version_id=product_id)
    total = await query.count()
    pages = max(1, math.ceil(total / per_page))
    if sort == "helpful":
        query = query.annotate(net=F("helpful_count") - F("unhelpful_count")).order_by(
            "-net", "-helpful_count", "-id"
        )
    else:
        query = query.order_by("-published_at", "-id")
    rows = await query.offset((page - 1) * per_page).limit(per_page).values(*LIST_FIELDS, **LIST_RELATED)
    staff = policy.can_curate(actor)  # the helpful figures are for staff
    for row in rows:
        row["helpful_percent"] = (
            helpful_percent(row["helpful_count"], row["unhelpful_count"]) if staff else None
        )
    filters = {"category": category, "tag": tag, "product": product_id, "state": wanted_state}
    filters["review"] = needs_review
    return ArticleList(rows, total, page, pages, per_page, sort, filters)


@dataclass
class KbHome:
    categories: list[dict[str, Any]]
    tags: list[tuple[str, int]]
    products: list[dict[str, Any]]
    newest: list[dict[str, Any]]
    most_helpful: list[dict[str, Any]]
    needs_review: int


async def home(actor: Actor) -> KbHome:
    """The knowledge base's front page: facets by category, tag and product, newest, most helpful."""
    visible = await policy.visible_category_ids(actor)
    published = Article.filter(category_id__in=visible, state=ArticleState.PUBLISHED)
    rows = await published.values("id", "category_id", "tag_names")
    by_cat = Counter(r["category_id"] for r in rows)
    tags = Counter(t for r in rows for t in (r["tag_names"] or []))
    cats = await Category.filter(id__in=list(by_cat)).values("id", "slug", "name", "position")
    categories = [
        {**c, "count": by_cat[c["id"]]} for c in sorted(cats, key=lambda c: (c["position"], c["name"]))
    ]
    product_rows = await ArticleProduct.filter(article_id__in=[r["id"] for r in rows]).values(
        "product_version_id", version="product_version__name", product="product_version__product__name"
    )
    counted = Counter((p["product_version_id"], p["product"], p["version"]) for p in product_rows)
    products = [
        {"id": pid, "product": name, "version": version, "count": n}
        for (pid, name, version), n in sorted(counted.items(), key=lambda kv: (kv[0][1], kv[0][2]))
    ]
    newest = (await list_articles(actor, per_page=8)).items
    # "Most helpful" lists what "Newest" does not already show (with few articles, they were the
    # same list twice).
    shown = {a["id"] for a in newest}
    helpful = [
        a for a in (await list_articles(actor, q_sort="helpful", per_page=16)).items if a["id"] not in shown
    ]
    helpful = helpful[:8]
    review = 0
    if policy.can_curate(actor):
        flagged = Article.filter(category_id__in=visible, needs_review=True)
        review = await flagged.exclude(state=ArticleState.ARCHIVED).count()
    return KbHome(categories, tags.most_common(30), products, newest, helpful, review)


# --- history -----------------------------------------------------------------------------------------

VERSION_FIELDS = (
    "number", "title", "summary", "body_source", "body_html", "category_id", "tag_names",
    "product_version_ids", "note", "created_at",
)  # fmt: skip


async def list_versions(actor: Actor, article_id: int) -> tuple[Article, list[dict[str, Any]]]:
    """The versions the reader may see, newest first. A version is read with the audience of the
    category it was saved in: an article moved from a restricted category to a wider one keeps
    its earlier, restricted text out of sight of the wider audience (compare and restore too)."""
    article, _ = await load_visible_article(actor, article_id)
    query = ArticleVersion.filter(article_id=article.id)
    if not policy.can_curate(actor):  # staff see every category (and versions of removed ones)
        query = query.filter(category_id__in=await policy.visible_category_ids(actor))
    rows = await query.order_by("-number").values(
        *VERSION_FIELDS, editor_name="editor__display_name", editor_handle="editor__handle"
    )
    cat_ids = list({r["category_id"] for r in rows})
    cats = {c["id"]: c for c in await Category.filter(id__in=cat_ids).values("id", "slug", "name")}
    for row in rows:
        row["category"] = cats.get(row["category_id"], {"slug": "", "name": "(removed)"})
    return article, rows


@dataclass
class DiffRow:
    """One line of a side-by-side comparison: ``kind`` is equal, changed, removed or added."""

    kind: str
    left_no: int | None
    left: str
    right_no: int | None
    right: str


def side_by_side(old: str, new: str) -> list[DiffRow]:
    """Lines of two Markdown sources, paired up for a two-column table (plain text: the page
    escapes it)."""
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [
                DiffRow("equal", i + 1, a[i], j + 1, b[j])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        left, right = list(range(i1, i2)), list(range(j1, j2))
        for k in range(max(len(left), len(right))):
            li = left[k] if k < len(left) else None
            ri = right[k] if k < len(right) else None
            kind = "changed" if li is not None and ri is not None else ("removed" if ri is None else "added")
            rows.append(
                DiffRow(
                    kind,
                    li + 1 if li is not None else None,
                    a[li] if li is not None else "",
                    ri + 1 if ri is not None else None,
                    b[ri] if ri is not None else "",
                )
            )
    return rows


def _meta_text(row: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"Title: {row['title']}",
            f"Summary: {row['summary']}",
            f"Category: {row['category']['name']}",
            f"Tags: {', '.join(row['tag_names'] or [])}",
            f"Products: {', '.join(str(p) for p in row['product_version_ids'] or [])}",
        ]
    )


@dataclass
class Comparison:
    article: Article
    old: dict[str, Any]
    new: dict[str, Any]
    meta: list[DiffRow]
    body: list[DiffRow]

    @property
    def changed(self) -> int:
        return sum(1 for r in self.meta + self.body if r.kind != "equal")


def parse_version_number(raw: object, name: str) -> int:
    number = validation.positive_int(str(raw or ""))
    if number is None:
        raise Invalid({name: "A version number is expected."})
    return number


async def compare_versions(actor: Actor, article_id: int, old: object, new: object) -> Comparison:
    article, rows = await list_versions(actor, article_id)
    a, b = parse_version_number(old, "from"), parse_version_number(new, "to")
    by_number = {r["number"]: r for r in rows}
    if a not in by_number or b not in by_number:
        raise NotFound("No such version.")
    left, right = by_number[a], by_number[b]
    return Comparison(
        article=article,
        old=left,
        new=right,
        meta=side_by_side(_meta_text(left), _meta_text(right)),
        body=side_by_side(left["body_source"], right["body_source"]),
    )


# --- the thread page: which answers became articles ---------------------------------------------------


async def thread_articles(actor: Actor, thread_id: int) -> list[dict[str, Any]]:
    """Published articles promoted from this thread that the actor may see (for tests and the API;
    the thread page reads the same rows inside its own query budget)."""
    rows = await Article.filter(source_thread_id=thread_id, state=ArticleState.PUBLISHED).values(
        "id", "title", "source_post_id", visibility="category__visibility", tiers="category__tiers"
    )
    return [r for r in rows if policy.can_see_category_rule(actor, r["visibility"], r["tiers"])]


# --- what the article forms offer ------------------------------------------------------------------


async def form_options(actor: Actor) -> dict[str, Any]:
    """The categories the curator may choose (with who reads them) and the product versions."""
    cats = (
        await Category.all().order_by("position", "name").values("id", "slug", "name", "visibility", "tiers")
    )
    categories = [c for c in cats if policy.can_see_category_rule(actor, c["visibility"], c["tiers"])]
    return {"categories": categories, "products": await list_products()}


async def preview(actor: Actor, data: dict[str, Any]) -> str:
    """The sanitised HTML the article would get (the forms' Preview button), after the same
    validation as saving (422 names every wrong field); nothing is saved."""
    checked = await read_input(
        actor, title=data.get("title"), summary=data.get("summary"), body=data.get("body"),
        tags=data.get("tags"), category=data.get("category"), products=data.get("products"),
        note=data.get("note"),
    )  # fmt: skip
    html, _ = await render_post_body(checked.body)
    return html

"""The knowledge base's articles: promote an answer, edit with versions, restore a version, publish
or archive. Reading lives in ``reading``, products in ``products``, ratings and review flags in
``feedback``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor, load_actor
from community.errors import Conflict, Forbidden, Invalid, NotFound
from community.models import (
    Article,
    ArticleProduct,
    ArticleState,
    ArticleTag,
    ArticleVersion,
    Category,
    Post,
    PostState,
    ProductVersion,
    Tag,
    Thread,
)
from community.notifications import kb_notices
from community.notifications.delivery import Created, announce
from community.policy import require_can_post
from community.post_text import render_post_body
from community.search.outbox import ARTICLE, index_later
from community.timeutil import utcnow
from community.visibility import load_visible_post

SUMMARY_MAX = 500


NOTE_MAX = 200


PRODUCTS_MAX = 20


ARTICLE_STATES = ArticleState.ALL


def article_url(article_id: int) -> str:
    return f"/kb/{article_id}"


class AlreadyPromoted(Conflict):
    """The answer already is an article: callers may open that one instead."""

    def __init__(self, article_id: int) -> None:
        super().__init__(
            f"This answer is already a knowledge-base article: {article_url(article_id)}",
            {"post": f"Already promoted to article {article_id}."},
        )
        self.article_id = article_id


class StaleVersion(Conflict):
    """Someone saved another version after the one the editor started from (``base``): the form
    keeps the editor's text and links to what changed up to ``current``."""

    def __init__(self, base: int, current: int) -> None:
        super().__init__("Someone else saved this article meanwhile. Reload it and apply your change.")
        self.base, self.current = base, current


async def load_visible_article(actor: Actor, article_id: int) -> tuple[Article, Category]:
    """The article and its category if the actor may see it; 404 (same message) otherwise."""
    article = await Article.filter(id=article_id).select_related("category").first()
    if article is None or not policy.can_see_article(
        actor, article.state, article.category.visibility, article.category.tiers
    ):
        raise NotFound("No such article.")
    return article, article.category


async def load_curatable_article(actor: Actor, article_id: int) -> tuple[Article, Category]:
    article, category = await load_visible_article(actor, article_id)
    if not policy.can_curate(actor):
        raise Forbidden("Only experts, moderators and administrators can change articles.")
    require_can_post(actor)
    return article, category


@dataclass
class ArticleInput:
    title: str
    summary: str
    body: str
    tags: list[str]
    category: Category
    product_version_ids: list[int]
    note: str


def _product_ids(value: object, fields: dict[str, str]) -> list[int]:
    """A list of product version ids (numbers, or their text from a form)."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else None
    if items is None:
        fields["products"] = "Products must be a list of product version ids."
        return []
    ids: list[int] = []
    for item in items:
        number = validation.positive_int(item)
        if number is None:
            fields["products"] = "Products must be a list of product version ids."
            return []
        if number not in ids:
            ids.append(number)
    if len(ids) > PRODUCTS_MAX:
        fields["products"] = f"Choose at most {PRODUCTS_MAX} product versions."
    return ids


async def _category(actor: Actor, value: object, fields: dict[str, str]) -> Category | None:
    if not isinstance(value, str) or not value:
        fields["category"] = "Choose a category."
        return None
    cat = await Category.filter(slug=value).first() if validation.SLUG_RE.match(value) else None
    if cat is None or not policy.can_see_category(actor, cat):
        fields["category"] = "Choose one of the categories listed."
        return None
    return cat


async def read_input(
    actor: Actor,
    *,
    title: object,
    summary: object,
    body: object,
    tags: object,
    category: object,
    products: object,
    note: object,
) -> ArticleInput:
    """Validate every field at once (422 names each wrong one)."""
    fields: dict[str, str] = {}
    title_text = validation.title(title, fields)
    summary_text = validation.short_text(
        summary, fields, "summary", "The summary", required=False, max_len=SUMMARY_MAX
    )
    body_text = validation.body(body, fields)
    tag_names = validation.tags(tags, fields)
    note_text = validation.short_text(note, fields, "note", "The note", required=False, max_len=NOTE_MAX)
    product_ids = _product_ids(products, fields)
    cat = await _category(actor, category, fields)
    if product_ids and "products" not in fields:
        known = set(await ProductVersion.filter(id__in=product_ids).values_list("id", flat=True))
        if len(known) != len(product_ids):
            fields["products"] = "Choose product versions from the list."
    validation.raise_if(fields)
    assert cat is not None
    return ArticleInput(title_text, summary_text, body_text, tag_names, cat, product_ids, note_text)


def _check_audience(
    actor: Actor, target: Category, source: Category | None, confirm_wider: bool, private_org_id: int | None
) -> None:
    """An answer from a restricted thread goes only to the same or a narrower audience, unless
    an expert explicitly confirms a wider one (the text must then hold nothing confidential). An
    answer to a private question always widens its audience: articles are never private."""
    if source is None or policy.thread_audience_within(target, None, source, private_org_id):
        return
    if confirm_wider and policy.can_widen_audience(actor):
        return
    where = (
        "a private question"
        if private_org_id is not None
        else f"the thread this answer comes from (“{source.name}”)"
    )
    raise Invalid(
        {
            "category": f"“{target.name}” is seen by more people than {where}. Choose the same or a "
            "narrower category, or confirm the wider audience after checking the text holds nothing "
            "partner-confidential."
        }
    )


async def _source_audience(article: Article) -> tuple[Category | None, int | None]:
    """The category of the thread an article came from, and the organisation it was private to."""
    if article.source_thread_id is None:
        return None, None
    thread = await Thread.filter(id=article.source_thread_id).select_related("category").first()
    return (thread.category, thread.private_org_id) if thread else (None, None)


async def _set_tags(article_id: int, names: list[str]) -> None:
    await ArticleTag.filter(article_id=article_id).delete()
    for name in names:
        tag, _ = await Tag.get_or_create(name=name)
        await ArticleTag.create(article_id=article_id, tag_id=tag.id)


async def _set_products(article_id: int, version_ids: list[int]) -> None:
    await ArticleProduct.filter(article_id=article_id).delete()
    if version_ids:
        await ArticleProduct.bulk_create(
            [ArticleProduct(article_id=article_id, product_version_id=pid) for pid in version_ids]
        )


async def _touch_thread(thread_id: int | None) -> None:
    """The thread page shows the article's badge and link: a new version misses its cache."""
    if thread_id is not None:
        await Thread.filter(id=thread_id).update(version=F("version") + 1)


async def _notify_author_if_published(actor: Actor, article: Article, category: Category) -> Created:
    """The answer's author hears of it once, when the article is first published, and only if
    they may read it."""
    if article.answer_author_id is None or article.state != ArticleState.PUBLISHED:
        return []
    author = await load_actor(article.answer_author_id)
    if author is None or not policy.can_see_article(
        author, article.state, category.visibility, category.tiers
    ):
        return []
    return await kb_notices.became_best_practice(actor.id, author.id, article, article_url(article.id))


def default_body(question: str, answer: str) -> str:
    return f"## Question\n\n{question.strip()}\n\n## Answer\n\n{answer.strip()}\n"


async def promotion_source(actor: Actor, post_id: int) -> tuple[Post, Thread, dict[str, Any]]:
    """The answer to promote and the form's defaults; ``AlreadyPromoted`` when it is an article."""
    if not policy.can_curate(actor):
        # Not a 403 for posts the actor may not see: first the same 404 as for anyone.
        await load_visible_post(actor, post_id)
        raise Forbidden("Only experts, moderators and administrators can mark best practice.")
    post, thread = await load_visible_post(actor, post_id)
    require_can_post(actor)
    if post.is_opening or post.state != PostState.VISIBLE:
        raise Invalid({"post": "Only a visible answer (not the question) can become an article."})
    existing = await Article.filter(source_post_id=post.id).values_list("id", flat=True)
    if existing:
        raise AlreadyPromoted(existing[0])
    question = await Post.filter(thread_id=thread.id, is_opening=True).values_list("body_source", flat=True)
    defaults = {
        "title": thread.title,
        "summary": "",
        "body": default_body(question[0] if question else "", post.body_source),
        "tags": list(thread.tag_names or []),
        "category": thread.category.slug,
        "products": [],
        "note": "",
        "state": ArticleState.PUBLISHED,
    }
    return post, thread, defaults


async def promote_answer(
    actor: Actor,
    post_id: int,
    *,
    title: object = None,
    summary: object = "",
    body: object = None,
    tags: object = None,
    category: object = None,
    products: object = None,
    note: object = "",
    state: object = ArticleState.PUBLISHED,
    confirm_wider: bool = False,
) -> Article:
    """Mark an answer "best practice": a new article (version 1), credited to the answer's author
    and the curator. Fields left out (None) take the defaults from the thread."""
    post, thread, defaults = await promotion_source(actor, post_id)
    fields: dict[str, str] = {}
    state_value = validation.choice(
        ArticleState.PUBLISHED if state in (None, "") else state,
        (ArticleState.DRAFT, ArticleState.PUBLISHED),
        fields,
        "state",
    )
    validation.raise_if(fields)
    data = await read_input(
        actor,
        title=defaults["title"] if title is None else title,
        summary=summary,
        body=defaults["body"] if body is None else body,
        tags=defaults["tags"] if tags is None else tags,
        category=defaults["category"] if category is None else category,
        products=products,
        note=note,
    )
    _check_audience(actor, data.category, thread.category, confirm_wider, thread.private_org_id)
    html, _ = await render_post_body(data.body)
    now = utcnow()
    published = state_value == ArticleState.PUBLISHED
    try:
        async with in_transaction():
            article = await Article.create(
                title=data.title, summary=data.summary, body_source=data.body, body_html=html,
                category_id=data.category.id, tag_names=data.tags, state=state_value,
                source_post_id=post.id, source_thread_id=thread.id, answer_author_id=post.author_id,
                curator_id=actor.id, published_at=now if published else None,
            )  # fmt: skip
            await _save_version(article, 1, actor, data, html)
            await _set_tags(article.id, data.tags)
            await _set_products(article.id, data.product_version_ids)
            await _touch_thread(thread.id)
            await index_later((ARTICLE, article.id))
            created = await _notify_author_if_published(actor, article, data.category)
    except IntegrityError:
        # Two curators promoting the same answer at once: the unique source_post_id decides.
        existing = await Article.filter(source_post_id=post.id).values_list("id", flat=True)
        if existing:
            raise AlreadyPromoted(existing[0]) from None
        raise
    await announce(created)
    return article


async def _save_version(
    article: Article, number: int, actor: Actor, data: ArticleInput, html: str
) -> ArticleVersion:
    return await ArticleVersion.create(
        article_id=article.id, number=number, editor_id=actor.id, title=data.title,
        summary=data.summary, body_source=data.body, body_html=html, category_id=data.category.id,
        tag_names=data.tags, product_version_ids=data.product_version_ids, note=data.note,
    )  # fmt: skip


async def edit_article(
    actor: Actor,
    article_id: int,
    *,
    title: object = validation.KEEP,
    summary: object = validation.KEEP,
    body: object = validation.KEEP,
    tags: object = validation.KEEP,
    category: object = validation.KEEP,
    products: object = validation.KEEP,
    note: object = "",
    base_version: object = None,
    confirm_wider: bool = False,
) -> Article:
    """Save a new version. ``base_version``: the version the editor started from; when someone
    saved another meanwhile the edit is refused (409) rather than silently lost. A field given as
    ``KEEP`` (left out of an API edit) keeps the article's current value."""
    article, current_category = await load_curatable_article(actor, article_id)
    given = {"title": title, "summary": summary, "body": body, "tags": tags, "category": category,
             "products": products}  # fmt: skip
    if validation.KEEP in given.values():
        links = await ArticleProduct.filter(article_id=article.id).order_by("id")
        current = {
            "title": article.title, "summary": article.summary, "body": article.body_source,
            "tags": list(article.tag_names or []), "category": current_category.slug,
            "products": [link.product_version_id for link in links],
        }  # fmt: skip
        given = {name: current[name] if value is validation.KEEP else value for name, value in given.items()}
    data = await read_input(actor, **given, note=note)
    base = article.version_count if base_version in (None, "") else _version_number(base_version)
    if data.category.id != article.category_id:
        source, private_org_id = await _source_audience(article)
        _check_audience(actor, data.category, source, confirm_wider, private_org_id)
    return await _save(actor, article, data, base)


def _version_number(value: object) -> int:
    """The version an edit started from: a whole number naming a version, or 422."""
    number = validation.positive_int(value)
    if number is None:
        raise Invalid({"base_version": "The version you started from is a whole number."})
    return number


async def _save(actor: Actor, article: Article, data: ArticleInput, base: int) -> Article:
    html, _ = await render_post_body(data.body)
    number = base + 1
    async with in_transaction():
        saved = await Article.filter(id=article.id, version_count=base).update(
            title=data.title, summary=data.summary, body_source=data.body, body_html=html,
            category_id=data.category.id, tag_names=data.tags, version_count=number, updated_at=utcnow(),
        )  # fmt: skip
        if not saved:
            current = await Article.filter(id=article.id).values_list("version_count", flat=True)
            raise StaleVersion(base, current[0] if current else base)
        await _save_version(article, number, actor, data, html)
        await _set_tags(article.id, data.tags)
        await _set_products(article.id, data.product_version_ids)
        await _touch_thread(article.source_thread_id)
        await index_later((ARTICLE, article.id))
    return await Article.get(id=article.id)


async def restore_version(actor: Actor, article_id: int, number: int, *, note: object = "") -> Article:
    """An older version becomes the newest again, as a new version (history is never rewritten).
    Its category was accepted when that version was saved; it must still be one the actor sees."""
    article, _ = await load_curatable_article(actor, article_id)
    old = await ArticleVersion.filter(article_id=article.id, number=number).first()
    if old is None:
        raise NotFound("No such version.")
    fields: dict[str, str] = {}
    note_text = validation.short_text(note, fields, "note", "The note", required=False, max_len=NOTE_MAX)
    validation.raise_if(fields)
    cat = await Category.filter(id=old.category_id).first()
    if cat is None or not policy.can_see_category(actor, cat):
        raise Invalid({"category": "That version's category no longer exists or is out of your reach."})
    old_ids = list(old.product_version_ids or [])
    known = set(await ProductVersion.filter(id__in=old_ids).values_list("id", flat=True))
    data = ArticleInput(
        title=old.title,
        summary=old.summary,
        body=old.body_source,
        tags=list(old.tag_names or []),
        category=cat,
        product_version_ids=[pid for pid in old_ids if pid in known],
        note=note_text or f"Restored version {old.number}",
    )
    return await _save(actor, article, data, article.version_count)


async def set_state(actor: Actor, article_id: int, state: object) -> Article:
    """Draft, published or archived (archived: out of lists and search, still reachable by staff)."""
    article, category = await load_curatable_article(actor, article_id)
    fields: dict[str, str] = {}
    new_state = validation.choice(state, ARTICLE_STATES, fields, "state")
    validation.raise_if(fields)
    if new_state == article.state:
        return article
    created: Created = []
    async with in_transaction():
        first_publish = new_state == ArticleState.PUBLISHED and article.published_at is None
        updates: dict[str, Any] = {"state": new_state}
        if first_publish:
            updates["published_at"] = utcnow()
        if not await Article.filter(id=article.id, state=article.state).update(**updates):
            raise Conflict("The article's state was just changed by someone else. Reload it.")
        article.state = new_state
        await _touch_thread(article.source_thread_id)
        await index_later((ARTICLE, article.id))
        if first_publish:
            created = await _notify_author_if_published(actor, article, category)
    await announce(created)
    return await Article.get(id=article.id)

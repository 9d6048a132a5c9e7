"""What readers say about an article: helped or not, and "needs review" (its curators are told)."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from community import validation
from community.actor import Actor
from community.errors import Conflict, Invalid
from community.kb.articles import article_url, load_curatable_article, load_visible_article
from community.models import (
    Article,
    ArticleRating,
    ArticleState,
    ArticleVersion,
)
from community.notifications import kb_notices
from community.notifications.delivery import Created, announce
from community.policy import require_can_post
from community.search.outbox import ARTICLE, index_later

REVIEW_REASON_MAX = 300


async def _curator_ids(article: Article) -> list[int]:
    editors = await ArticleVersion.filter(article_id=article.id).values_list("editor_id", flat=True)
    return list(dict.fromkeys([article.curator_id, *editors]))


async def notify_curators(article: Article, reason: str, actor_id: int | None) -> Created:
    """Inside the caller's transaction: the article's curators hear that it needs review."""
    curators = await _curator_ids(article)
    return await kb_notices.needs_review(curators, actor_id, article, reason, article_url(article.id))


async def flag_needs_review(actor: Actor, article_id: int, reason: object) -> Article:
    """Anyone who can read an article can say it needs review (e.g. a product changed), unless
    silenced (flagging is posting)."""
    article, _ = await load_visible_article(actor, article_id)
    require_can_post(actor)
    fields: dict[str, str] = {}
    text = validation.short_text(
        reason, fields, "reason", "The reason", required=True, max_len=REVIEW_REASON_MAX
    )
    validation.raise_if(fields)
    async with in_transaction():
        await Article.filter(id=article.id).update(needs_review=True, needs_review_reason=text)
        created = await notify_curators(article, text, actor.id)
    await announce(created)
    article.needs_review, article.needs_review_reason = True, text
    return article


async def clear_needs_review(actor: Actor, article_id: int) -> Article:
    article, _ = await load_curatable_article(actor, article_id)
    await Article.filter(id=article.id).update(needs_review=False, needs_review_reason="")
    article.needs_review, article.needs_review_reason = False, ""
    return article


async def rate(actor: Actor, article_id: int, helpful: object) -> tuple[int, int]:
    """One rating per reader, changeable (``None`` takes it back). Counters move only by what the
    conditional writes actually changed, so double submits and races keep them exact. Returns
    (helpful, unhelpful) counts."""
    article, _ = await load_visible_article(actor, article_id)
    if helpful is not None and not isinstance(helpful, bool):
        raise Invalid({"helpful": "Say whether it helped (true), did not help (false), or null to clear."})
    if article.state != ArticleState.PUBLISHED:
        raise Conflict("Only published articles can be rated.")
    up = down = 0
    async with in_transaction():
        current = await ArticleRating.filter(article_id=article.id, user_id=actor.id).first()
        if helpful is None:
            if current is not None and await ArticleRating.filter(id=current.id).delete():
                up, down = (-1, 0) if current.helpful else (0, -1)
        elif current is None:
            try:
                async with in_transaction():
                    await ArticleRating.create(article_id=article.id, user_id=actor.id, helpful=helpful)
                up, down = (1, 0) if helpful else (0, 1)
            except IntegrityError:
                pass  # a concurrent first rating by the same reader won; it counted
        elif current.helpful != helpful and await ArticleRating.filter(
            id=current.id, helpful=current.helpful
        ).update(helpful=helpful):
            up, down = (1, -1) if helpful else (-1, 1)
        if up or down:
            await Article.filter(id=article.id).update(
                helpful_count=F("helpful_count") + up, unhelpful_count=F("unhelpful_count") + down
            )
            await index_later((ARTICLE, article.id))
    rows = await Article.filter(id=article.id).values_list("helpful_count", "unhelpful_count")
    return rows[0]

"""What the knowledge base tells people: an answer's author that it became a best-practice article,
an article's curators that it needs review. Called inside ``kb.articles``, ``kb.feedback`` and
``kb.products``, which decide who is told and when (and pass the article's address); the texts are
here."""

from __future__ import annotations

from community.models import Article
from community.models import NotificationKind as Kind
from community.notifications.delivery import Created, notify


async def became_best_practice(curator_id: int, author_id: int, article: Article, url: str) -> Created:
    """The caller checks that the answer's author may read the article: ``notify`` checks threads,
    not articles."""
    return await notify(
        kind=Kind.BEST_PRACTICE,
        recipient_ids=[author_id],
        text=f"Your answer became a best-practice article: {article.title}",
        url=url,
        actor_id=curator_id,
        thread_id=article.source_thread_id,
        post_id=article.source_post_id,
        article_id=article.id,
    )


async def needs_review(
    curator_ids: list[int], actor_id: int | None, article: Article, reason: str, url: str
) -> Created:
    """Flags pile up into one unread entry per article and curator."""
    return await notify(
        kind=Kind.ARTICLE_REVIEW,
        recipient_ids=curator_ids,
        text=f"Needs review: {article.title} ({reason})",
        url=url,
        actor_id=actor_id,
        article_id=article.id,
        group_key=f"article:{article.id}:review",
    )

"""Turning service results into the JSON shapes the API promises (see ``openapi.py``).

Only shaping happens here: every value that depends on who is asking (what they may see, what they
may do) was already decided by the services and the policy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from community.accounts.directory import CategorySummary, visibility_label
from community.forum.thread_page import PostView, ThreadView
from community.models import Category, Organisation, User
from community.search.queries import marked, unmarked
from community.settings import Settings

if TYPE_CHECKING:
    from search_index.documents import SearchHit, SearchResults

Json = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``; naive datetimes from the database are UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def thread_url(settings: Settings, thread_id: int) -> str:
    return f"{settings.base_url}/t/{thread_id}"


def api_url(settings: Settings, path: str) -> str:
    return f"{settings.base_url}/api/v1{path}"


def listing(items: list[Json], total: int, next_url: str | None = None) -> Json:
    """Every list answers this shape."""
    return {"items": items, "total": total, "next": next_url}


def thread_summary(settings: Settings, row: dict[str, Any]) -> Json:
    """A row of ``threads.list_threads`` / ``threads.get_thread_summary``."""
    return {
        "id": row["id"],
        "title": row["title"],
        "kind": row["kind"],
        "status": row["status"],
        "pinned": bool(row["pinned"]),
        "locked": bool(row.get("locked", False)),
        "duplicate_of_id": row.get("duplicate_of_id"),
        "tags": list(row["tag_names"] or []),
        "category": {"slug": row["category_slug"], "name": row["category_name"]},
        "author": {"handle": row["author_handle"], "display_name": row["author_name"]},
        "reply_count": row["reply_count"],
        "view_count": row["view_count"],
        "score": row["score"],
        "accepted_post_id": row["accepted_post_id"],
        "is_solved": row["accepted_post_id"] is not None,
        "created_at": iso(row["created_at"]),
        "last_activity_at": iso(row["last_activity_at"]),
        "url": thread_url(settings, row["id"]),
    }


def post(pv: PostView, thread_id: int) -> Json:
    return {
        "id": pv.id,
        "thread_id": thread_id,
        "is_opening": pv.is_opening,
        "author": {
            "handle": pv.author_handle,
            "display_name": pv.author_name,
            "organisation": pv.author_org,
            "role": pv.author_role,
        },
        "body_html": pv.body_html,
        "body_source": pv.body_source,
        "score": pv.score,
        "is_accepted": pv.is_accepted,
        "state": pv.state,
        "created_at": iso(pv.created_at),
        "edited_at": iso(pv.edited_at),
        "revision_count": pv.revision_count,
        "voted": pv.voted,
        "can_edit": pv.can_edit,
        "can_delete": pv.can_delete,
        "can_vote": pv.can_vote,
        "can_accept": pv.can_accept,
        "article_id": pv.article_id,
    }


def thread_detail(settings: Settings, view: ThreadView, next_url: str | None) -> Json:
    t = view.thread
    opening = view.question
    summary = thread_summary(
        settings,
        {
            "id": t.id, "title": t.title, "kind": t.kind, "status": t.status, "pinned": t.pinned,
            "tag_names": t.tag_names, "category_slug": t.category.slug, "category_name": t.category.name,
            "author_handle": opening.author_handle, "author_name": opening.author_name,
            "reply_count": t.reply_count, "view_count": t.view_count, "score": t.score,
            "accepted_post_id": t.accepted_post_id, "created_at": t.created_at,
            "last_activity_at": t.last_activity_at, "locked": t.locked,
            "duplicate_of_id": t.duplicate_of_id,
        },
    )  # fmt: skip
    return {
        **summary,
        "can_reply": view.can_reply,
        "can_accept": view.can_accept,
        "opening_post": post(opening, t.id),
        "posts": [post(pv, t.id) for pv in view.posts],
        "page": view.page,
        "pages": view.pages,
        "total_posts": view.total_replies,
        "next": next_url,
    }


def revision(row: dict[str, Any]) -> Json:
    return {
        "number": row["number"],
        "title": row["title"],
        "tags": row["tag_names"],
        "body_source": row["body_source"],
        "body_html": row["body_html"],
        "note": row["note"],
        "editor": {"handle": row["editor_handle"], "display_name": row["editor_name"]},
        "created_at": iso(row["created_at"]),
    }


def category(cat: Category, thread_count: int) -> Json:
    return {
        "slug": cat.slug,
        "name": cat.name,
        "description": cat.description,
        "position": cat.position,
        "visibility": visibility_label(cat),
        "thread_count": thread_count,
    }


def categories(summaries: Iterable[CategorySummary]) -> list[Json]:
    return [category(s.category, s.thread_count) for s in summaries]


def me(user: User) -> Json:
    """The signed-in person; ``user.organisation`` must be fetched."""
    org: Organisation = user.organisation
    return {
        "id": user.id,
        "handle": user.handle,
        "display_name": user.display_name,
        "role": user.role,
        "organisation": {
            "id": org.id,
            "name": org.name,
            "slug": org.slug,
            "tier": org.tier,
            "kind": org.kind,
        },
        "is_org_admin": user.is_org_admin,
        "bio": user.bio,
        "expertise_tags": list(user.expertise_tags or []),
        "post_count": user.post_count,
        "accepted_count": user.accepted_count,
    }


def profile(user: User) -> Json:
    """What any signed-in member may see of another: no e-mail, no partner tier."""
    org: Organisation = user.organisation
    return {
        "id": user.id,
        "handle": user.handle,
        "display_name": user.display_name,
        "role": user.role,
        "organisation": {"name": org.name, "slug": org.slug, "kind": org.kind},
        "bio": user.bio,
        "expertise_tags": list(user.expertise_tags or []),
        "post_count": user.post_count,
        "accepted_count": user.accepted_count,
        "joined_at": iso(user.created_at),
    }


def organisation(org: Organisation, members: list[User]) -> Json:
    return {
        "id": org.id,
        "name": org.name,
        "slug": org.slug,
        "kind": org.kind,
        "tier": org.tier,
        "description": org.description,
        "member_count": len(members),
        "members": [
            {
                "handle": m.handle,
                "display_name": m.display_name,
                "role": m.role,
                "is_org_admin": m.is_org_admin,
                "post_count": m.post_count,
                "accepted_count": m.accepted_count,
            }
            for m in members
        ],
    }


def search_hit(settings: Settings, hit: SearchHit) -> Json:
    """A search result: ``title`` is plain text, ``snippet`` HTML with only ``<mark>`` in it."""
    return {
        "type": hit.kind,
        "thread_id": hit.thread_id,
        "post_id": hit.post_id,
        "article_id": hit.article_id,
        "title": unmarked(hit.title),
        "snippet": str(marked(hit.snippet)),
        "url": f"{settings.base_url}{hit.url}",
        "score": hit.score,
    }


def similar_thread(settings: Settings, hit: SearchHit) -> Json:
    """A thread (or article) like a question being asked: enough to link to it."""
    return {
        "type": hit.kind,
        "thread_id": hit.thread_id,
        "article_id": hit.article_id,
        "title": unmarked(hit.title),
        "url": f"{settings.base_url}{hit.url}",
        "solved": hit.solved,
    }


def search_results(settings: Settings, results: SearchResults, pages: int) -> Json:
    return {
        "results": [search_hit(settings, hit) for hit in results.results],
        "total": results.total,
        "suggestion": results.suggestion,
        "page": results.page,
        "pages": pages,
        "facets": {
            "categories": [{"key": f.key, "count": f.count} for f in results.categories],
            "tags": [{"key": f.key, "count": f.count} for f in results.tags],
        },
    }

"""The OpenAPI 3.1 document of the JSON API, written by hand as Python data.

Hand-written so that it says what the API promises in the product's words. It cannot drift
silently: ``tests/api/test_openapi.py`` checks that every mounted route is documented with the same
methods (and nothing more), and every response the API tests receive is checked against the
status codes and schemas declared here.
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from community.api.params import settings_of
from community.models import NotificationKind, WatchTarget
from community.validation import BODY_MAX, TAG_MAX_LEN, TAGS_MAX, TITLE_MAX, TITLE_MIN

Schema = dict[str, Any]
PREFIX = "/api/v1"


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = (), **extra: Any) -> Schema:
    """A closed object: every property is required unless named in ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
        **extra,
    }


def listing(item: str) -> Schema:
    return obj(
        {
            "items": {"type": "array", "items": ref(item)},
            "total": {"type": "integer", "description": "Number of items over all pages."},
            "next": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "Absolute URL of the next page, or null on the last page.",
            },
        }
    )


STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
DATETIME: Schema = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC."}
NULLABLE_DATETIME: Schema = {"type": ["string", "null"], "format": "date-time"}
TAGS: Schema = {"type": "array", "items": STRING}
ROLE: Schema = {"type": "string", "enum": ["partner", "expert", "moderator", "admin"]}
ORG_KIND: Schema = {"type": "string", "enum": ["company", "partner", "imported"]}

_THREAD_SUMMARY = {
    "id": INTEGER,
    "title": STRING,
    "kind": {"type": "string", "enum": ["question", "discussion"]},
    "status": {"type": "string", "enum": ["open", "closed"]},
    "pinned": BOOLEAN,
    "locked": {"type": "boolean", "description": "Only moderators may post, edit or vote in it."},
    "duplicate_of_id": {
        "type": ["integer", "null"],
        "description": "The thread this one duplicates (it is then closed).",
    },
    "tags": TAGS,
    "category": obj({"slug": STRING, "name": STRING}),
    "author": ref("AuthorSummary"),
    "reply_count": {"type": "integer", "description": "Answers or replies, not counting the opening post."},
    "view_count": INTEGER,
    "score": {"type": "integer", "description": "Helpful votes on the opening post."},
    "accepted_post_id": {"type": ["integer", "null"]},
    "is_solved": BOOLEAN,
    "created_at": DATETIME,
    "last_activity_at": DATETIME,
    "url": {"type": "string", "format": "uri", "description": "The thread's page (HTML)."},
}

SCHEMAS: dict[str, Schema] = {
    "Error": obj(
        {
            "error": obj(
                {
                    "code": {
                        "type": "string",
                        "description": "Stable machine-readable code, e.g. not_found, invalid, "
                        "forbidden, unauthenticated, csrf_failed, bad_request, unsupported_media_type.",
                    },
                    "message": {"type": "string", "description": "A sentence for people."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": STRING,
                        "description": "For 422: what is wrong with each named input field.",
                    },
                }
            )
        }
    ),
    "AuthorSummary": obj({"handle": STRING, "display_name": STRING}),
    "PostAuthor": obj(
        {
            "handle": STRING,
            "display_name": STRING,
            "organisation": {"type": "string", "description": "The organisation's name."},
            "role": ROLE,
        }
    ),
    "ThreadSummary": obj(_THREAD_SUMMARY),
    "Thread": obj(
        {
            **_THREAD_SUMMARY,
            "can_reply": {"type": "boolean", "description": "Whether the caller may answer."},
            "can_accept": {"type": "boolean", "description": "Whether the caller may accept answers."},
            "opening_post": ref("Post"),
            "posts": {
                "type": "array",
                "items": ref("Post"),
                "description": "One page of answers (questions: the accepted one first, then by "
                "score) or replies (discussions: in time order).",
            },
            "page": INTEGER,
            "pages": INTEGER,
            "total_posts": {"type": "integer", "description": "Answers or replies over all pages."},
            "next": {"type": ["string", "null"], "format": "uri", "description": "URL of the next page."},
        }
    ),
    "Post": obj(
        {
            "id": INTEGER,
            "thread_id": INTEGER,
            "is_opening": {"type": "boolean", "description": "The question or first post of the thread."},
            "author": ref("PostAuthor"),
            "body_html": {
                "type": "string",
                "description": "Sanitised HTML; empty for deleted posts and posts hidden from the caller.",
            },
            "body_source": {
                "type": ["string", "null"],
                "description": "The Markdown source; null unless the caller may edit the post.",
            },
            "score": INTEGER,
            "is_accepted": BOOLEAN,
            "state": {"type": "string", "enum": ["visible", "deleted", "hidden", "pending"]},
            "created_at": DATETIME,
            "edited_at": NULLABLE_DATETIME,
            "revision_count": INTEGER,
            "voted": {"type": "boolean", "description": "Whether the caller marked it helpful."},
            "can_edit": BOOLEAN,
            "can_delete": BOOLEAN,
            "can_vote": BOOLEAN,
            "can_accept": BOOLEAN,
            "article_id": {
                "type": ["integer", "null"],
                "description": "The published knowledge-base article this answer became (best practice), "
                "when the caller may read it.",
            },
        }
    ),
    "Revision": obj(
        {
            "number": {"type": "integer", "description": "1 is the original."},
            "title": {"type": ["string", "null"], "description": "Opening posts only."},
            "tags": {"type": ["array", "null"], "items": STRING},
            "body_source": STRING,
            "body_html": STRING,
            "note": STRING,
            "editor": ref("AuthorSummary"),
            "created_at": DATETIME,
        }
    ),
    "Category": obj(
        {
            "slug": STRING,
            "name": STRING,
            "description": STRING,
            "position": INTEGER,
            "visibility": {
                "type": "string",
                "description": "all, staff, or tiers:NAME[,NAME...] (e.g. tiers:gold,silver).",
            },
            "thread_count": {"type": "integer", "description": "Threads in it (not deleted)."},
        }
    ),
    "Me": obj(
        {
            "id": INTEGER,
            "handle": STRING,
            "display_name": STRING,
            "role": ROLE,
            "organisation": obj(
                {"id": INTEGER, "name": STRING, "slug": STRING, "tier": NULLABLE_STRING, "kind": ORG_KIND}
            ),
            "is_org_admin": BOOLEAN,
            "bio": STRING,
            "expertise_tags": TAGS,
            "post_count": INTEGER,
            "accepted_count": INTEGER,
            "csrf_token": {
                "type": "string",
                "description": "Only for callers signed in with the session cookie: send it as "
                "X-CSRF-Token on every POST, PATCH and DELETE.",
            },
        },
        optional=("csrf_token",),
    ),
    "Profile": obj(
        {
            "id": INTEGER,
            "handle": STRING,
            "display_name": STRING,
            "role": ROLE,
            "organisation": obj({"name": STRING, "slug": STRING, "kind": ORG_KIND}),
            "bio": STRING,
            "expertise_tags": TAGS,
            "post_count": INTEGER,
            "accepted_count": {"type": "integer", "description": "Answers of theirs that were accepted."},
            "joined_at": DATETIME,
        }
    ),
    "Organisation": obj(
        {
            "id": INTEGER,
            "name": STRING,
            "slug": STRING,
            "kind": ORG_KIND,
            "tier": NULLABLE_STRING,
            "description": STRING,
            "member_count": INTEGER,
            "members": {
                "type": "array",
                "items": obj(
                    {
                        "handle": STRING,
                        "display_name": STRING,
                        "role": ROLE,
                        "is_org_admin": BOOLEAN,
                        "post_count": INTEGER,
                        "accepted_count": INTEGER,
                    }
                ),
            },
        }
    ),
    "Invitation": obj(
        {
            "url": {"type": "string", "format": "uri", "description": "Single-use sign-up link."},
            "email": STRING,
            "role": ROLE,
            "organisation": {"type": "string", "description": "The organisation's slug."},
            "expires_at": DATETIME,
        }
    ),
    "VoteResult": obj({"score": INTEGER, "voted": BOOLEAN}),
    "SearchResult": obj(
        {
            "type": {
                "type": "string",
                "enum": ["thread", "post", "article"],
                "description": "thread: a question or discussion (its title and opening post); post: "
                "an answer or reply; article: a knowledge-base article.",
            },
            "thread_id": {"type": ["integer", "null"], "description": "The thread (threads and posts)."},
            "post_id": {"type": ["integer", "null"], "description": "The answer or reply (posts only)."},
            "article_id": {"type": ["integer", "null"], "description": "The article (articles only)."},
            "title": {"type": "string", "description": "Plain text: the thread's or article's title."},
            "snippet": {
                "type": "string",
                "description": "HTML: escaped text around the matched words, which are wrapped in "
                "<mark>; no other tag ever appears.",
            },
            "url": {"type": "string", "format": "uri", "description": "The page to open (HTML)."},
            "score": {"type": "number", "description": "Relevance (0 when sorted by newest or votes)."},
        }
    ),
    "SearchResults": obj(
        {
            "results": {"type": "array", "items": ref("SearchResult")},
            "total": {"type": "integer", "description": "Results over all pages (a thread counts once)."},
            "suggestion": {
                "type": ["string", "null"],
                "description": 'A corrected query when a word looks misspelt ("did you mean").',
            },
            "page": INTEGER,
            "pages": {"type": "integer", "description": "Pages of results (at most 500)."},
            "facets": obj(
                {
                    "categories": {"type": "array", "items": ref("FacetCount")},
                    "tags": {"type": "array", "items": ref("FacetCount")},
                },
                description="How many results fall in each category and carry each tag (the most "
                "frequent first); add category:KEY or tag:KEY to the query to narrow it.",
            ),
        }
    ),
    "FacetCount": obj(
        {"key": {"type": "string", "description": "A category slug or a tag."}, "count": INTEGER}
    ),
    "SimilarThread": obj(
        {
            "type": {"type": "string", "enum": ["thread", "article"]},
            "thread_id": {"type": ["integer", "null"]},
            "article_id": {"type": ["integer", "null"]},
            "title": {"type": "string", "description": "Plain text."},
            "url": {"type": "string", "format": "uri", "description": "The page to open (HTML)."},
            "solved": {"type": "boolean", "description": "A question with an accepted answer."},
        }
    ),
    "SimilarThreadList": listing("SimilarThread"),
    "ThreadList": listing("ThreadSummary"),
    "CategoryList": listing("Category"),
    "RevisionList": listing("Revision"),
    "NewThread": obj(
        {
            "category": {"type": "string", "description": "Slug of a category the caller may see."},
            "kind": {"type": "string", "enum": ["question", "discussion"], "default": "question"},
            "title": {"type": "string", "minLength": TITLE_MIN, "maxLength": TITLE_MAX},
            "body": {"type": "string", "maxLength": BODY_MAX, "description": "Markdown."},
            "tags": {
                "type": "array",
                "items": {"type": "string", "maxLength": TAG_MAX_LEN},
                "maxItems": TAGS_MAX,
                "description": "Lower-cased and de-duplicated; letters, digits, + # . -",
            },
        },
        optional=("kind", "tags"),
    ),
    "NewPost": obj({"body": {"type": "string", "maxLength": BODY_MAX, "description": "Markdown."}}),
    "PostEdit": obj(
        {
            "body": {"type": "string", "maxLength": BODY_MAX, "description": "The new Markdown text."},
            "title": {"type": "string", "description": "Opening posts only: the thread's new title."},
            "tags": {"type": "array", "items": STRING, "description": "Opening posts only."},
            "note": {"type": "string", "maxLength": 200, "description": "Why it was edited."},
        },
        optional=("title", "tags", "note"),
    ),
    "NewCategory": obj(
        {
            "name": {"type": "string", "maxLength": 80},
            "slug": {"type": "string", "description": "Default: made from the name."},
            "description": {"type": "string", "maxLength": 500},
            "visibility": {
                "type": "string",
                "default": "all",
                "description": "all, staff, or tiers:NAME[,NAME...].",
            },
        },
        optional=("slug", "description", "visibility"),
    ),
    "NewInvitation": obj(
        {"email": {"type": "string", "format": "email"}, "role": {**ROLE, "default": "partner"}},
        optional=("role",),
    ),
}

_ERRORS = {
    "BadRequest": "The body is not valid JSON, not UTF-8, or not an object.",
    "PayloadTooLarge": "The body is larger than 1 MB.",
    "Unauthenticated": "No valid session cookie or Bearer token.",
    "Forbidden": "Signed in, but not allowed to do this (or the X-CSRF-Token header is missing "
    "or wrong on a session-cookie request: code csrf_failed).",
    "NotFound": "No such thing, or the caller may not see it: both look the same.",
    "Conflict": "The request conflicts with the current state.",
    "UnsupportedMediaType": "The body was not sent as Content-Type: application/json.",
    "Invalid": "Some fields are wrong; error.fields says what to correct.",
    "RateLimited": "Too many posts in a short time: the Retry-After header says how many seconds to wait.",
}
_ERROR_STATUS = {
    "400": "BadRequest",
    "401": "Unauthenticated",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "413": "PayloadTooLarge",
    "415": "UnsupportedMediaType",
    "422": "Invalid",
    "429": "RateLimited",
}


def _json(schema: Schema, description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _op(
    op_id: str,
    tag: str,
    summary: str,
    ok: tuple[str, Schema | None, str],
    errors: tuple[str, ...],
    *,
    description: str = "",
    params: tuple[str, ...] = (),
    body: str | None = None,
    headers: dict[str, Any] | None = None,
    public: bool = False,
) -> Schema:
    """One operation. ``ok`` is (status, schema or None for no body, description)."""
    status, schema, ok_text = ok
    success: Schema = _json(schema, ok_text) if schema is not None else {"description": ok_text}
    if headers:
        success["headers"] = headers
    responses: dict[str, Any] = {status: success}
    # Every signed-in operation can answer 401 (no credentials) and 403 (suspended account).
    codes = set(errors) | (set() if public else {"401", "403"})
    if body is not None:
        codes |= {"400", "413", "415", "422"}
    for code in sorted(codes):
        responses[code] = {"$ref": f"#/components/responses/{_ERROR_STATUS[code]}"}
    operation: Schema = {
        "operationId": op_id,
        "tags": [tag],
        "summary": summary,
        "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in params],
        "responses": responses,
    }
    if description:
        operation["description"] = description
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    if public:
        operation["security"] = []
    return operation


def _location(text: str) -> dict[str, Any]:
    return {"Location": {"description": text, "schema": {"type": "string", "format": "uri"}}}


_POSTING_RULES = (
    "403 when the caller is silenced (the message says until when). A new account's first posts "
    "are held for a moderator's approval (`state` pending) and may hold only a few links (422 "
    "naming the limit); posting too fast answers 429 with Retry-After."
)

PATHS: dict[str, dict[str, Schema]] = {
    f"{PREFIX}/openapi.json": {
        "get": _op(
            "getOpenApi",
            "meta",
            "This document",
            ("200", {"type": "object"}, "The OpenAPI 3.1 document."),
            (),
            public=True,
        )
    },
    f"{PREFIX}/me": {
        "get": _op(
            "getMe",
            "accounts",
            "The signed-in member",
            ("200", ref("Me"), "Who the caller is."),
            (),
            description="Session-cookie callers also receive `csrf_token`, to send as the "
            "X-CSRF-Token header on state-changing requests. Bearer callers do not need it.",
        )
    },
    f"{PREFIX}/categories": {
        "get": _op(
            "listCategories",
            "categories",
            "Categories the caller may see",
            ("200", ref("CategoryList"), "All of them, in order (one page)."),
            (),
        ),
        "post": _op(
            "createCategory",
            "categories",
            "Create a category (administrators)",
            ("201", ref("Category"), "The new category."),
            (),
            body="NewCategory",
            headers=_location("The category's thread list."),
        ),
    },
    f"{PREFIX}/threads": {
        "get": _op(
            "listThreads",
            "threads",
            "List threads",
            ("200", ref("ThreadList"), "One page of threads the caller may see."),
            ("404", "422"),
            description="Newest activity first (pinned first within a category). An unknown "
            "category, or one the caller may not see, answers 404.",
            params=("Category", "Tag", "Status", "Show", "Page"),
        ),
        "post": _op(
            "createThread",
            "threads",
            "Ask a question or start a discussion",
            ("201", ref("Thread"), "The new thread, as GET /threads/{id} shows it."),
            ("429",),
            description=_POSTING_RULES,
            body="NewThread",
            headers=_location("The thread's API address."),
        ),
    },
    f"{PREFIX}/threads/{{id}}": {
        "get": _op(
            "getThread",
            "threads",
            "A thread with its opening post and one page of posts",
            ("200", ref("Thread"), "The thread."),
            ("404",),
            params=("Id", "Page"),
        )
    },
    f"{PREFIX}/threads/{{id}}/posts": {
        "post": _op(
            "createPost",
            "posts",
            "Answer a question or reply to a discussion",
            ("201", ref("Post"), "The new post."),
            ("404", "429"),
            description="403 when the thread is closed. " + _POSTING_RULES,
            params=("Id",),
            body="NewPost",
            headers=_location("The post's API address."),
        )
    },
    f"{PREFIX}/posts/{{id}}": {
        "get": _op(
            "getPost", "posts", "One post", ("200", ref("Post"), "The post."), ("404",), params=("Id",)
        ),
        "patch": _op(
            "editPost",
            "posts",
            "Edit a post (its author or staff)",
            ("200", ref("Post"), "The post after the edit."),
            ("404",),
            description="Every edit keeps a revision. `title` and `tags` apply to opening posts only.",
            params=("Id",),
            body="PostEdit",
        ),
        "delete": _op(
            "deletePost",
            "posts",
            "Delete a post (its author or a moderator)",
            (
                "204",
                None,
                "Deleted (softly: revisions are kept). Deleting the opening post deletes the thread.",
            ),
            ("404",),
            params=("Id",),
        ),
    },
    f"{PREFIX}/posts/{{id}}/revisions": {
        "get": _op(
            "listRevisions",
            "posts",
            "Every saved version of a post",
            ("200", ref("RevisionList"), "Oldest first."),
            ("404",),
            params=("Id",),
        )
    },
    f"{PREFIX}/posts/{{id}}/accept": {
        "post": _op(
            "acceptAnswer",
            "posts",
            "Accept this answer (the asker, or an expert)",
            ("200", ref("ThreadSummary"), "The thread, with accepted_post_id set."),
            ("404", "409", "422"),
            description="One accepted answer per question; accepting another replaces it. 422 for "
            "the question itself or a post in a discussion.",
            params=("Id",),
        ),
        "delete": _op(
            "unacceptAnswer",
            "posts",
            "Take the acceptance back",
            ("200", ref("ThreadSummary"), "The thread, with accepted_post_id null."),
            ("404", "409", "422"),
            params=("Id",),
        ),
    },
    f"{PREFIX}/posts/{{id}}/votes": {
        "post": _op(
            "votePost",
            "posts",
            "Mark a post helpful",
            ("200", ref("VoteResult"), "The new score; voting twice counts once."),
            ("404",),
            description="403 on one's own post.",
            params=("Id",),
        ),
        "delete": _op(
            "unvotePost",
            "posts",
            "Take the helpful vote back",
            ("200", ref("VoteResult"), "The new score."),
            ("404",),
            params=("Id",),
        ),
    },
    f"{PREFIX}/search": {
        "get": _op(
            "search",
            "search",
            "Search threads, answers and articles",
            ("200", ref("SearchResults"), "One page of results the caller may see."),
            ("422",),
            description="`q` uses the search box's language: words (any of them; results with all "
            'of them first), "exact phrases", -excluded words, tag:x, category:x, author:handle, '
            "org:slug, is:solved, is:unanswered, is:article, before:YYYY-MM-DD, after:YYYY-MM-DD. "
            "A thread and its answers are one result. A query that cannot be understood (empty, "
            "a bad date, an unknown is: value, only very common words) answers 422 with a message "
            "saying how to fix it in `error.message` (and `error.fields.q`).",
            params=("Query", "Page", "Sort"),
        )
    },
    f"{PREFIX}/search/similar": {
        "get": _op(
            "similarThreads",
            "search",
            "Threads most like a question title",
            ("200", ref("SimilarThreadList"), "Up to 5, solved threads and articles first."),
            (),
            description="For the ask form: what has been asked before. A title shorter than three "
            "characters answers an empty list.",
            params=("Title",),
        )
    },
    f"{PREFIX}/users/{{handle}}": {
        "get": _op(
            "getProfile",
            "accounts",
            "A member's public profile",
            ("200", ref("Profile"), "The profile."),
            ("404",),
            params=("Handle",),
        )
    },
    f"{PREFIX}/organisations/{{slug}}": {
        "get": _op(
            "getOrganisation",
            "accounts",
            "An organisation and its members",
            ("200", ref("Organisation"), "The organisation."),
            ("404",),
            description="Members of the organisation and staff only; others get 403.",
            params=("Slug",),
        )
    },
    f"{PREFIX}/organisations/{{slug}}/invitations": {
        "post": _op(
            "createInvitation",
            "accounts",
            "Invite someone into the organisation",
            ("201", ref("Invitation"), "The single-use invitation link."),
            ("404",),
            description="Administrators invite anyone; a partner organisation admin invites "
            "colleagues into their own organisation, as partners only.",
            params=("Slug",),
            body="NewInvitation",
        )
    },
}


# --- flags and the review queue (moderators only, except flagging) ----------------------------------
_REVIEW_KIND: Schema = {
    "type": "string",
    "enum": ["flagged_post", "flagged_thread", "held_post", "new_account"],
}
_FLAG_REASON: Schema = {
    "type": "string",
    "enum": ["spam", "offensive", "off_topic", "confidential", "other"],
    "description": "confidential: a partner's pricing or customer data posted in the open.",
}
_NULLABLE_AUTHOR: Schema = {"anyOf": [ref("AuthorSummary"), {"type": "null"}]}
_REVIEW_ITEM = {
    "id": INTEGER,
    "kind": _REVIEW_KIND,
    "reason": {"type": "string", "description": "Why it is in the queue, e.g. 'Flagged: Spam'."},
    "claimed_by": {"type": ["string", "null"], "description": "The moderator handling it, if any."},
    "claimed_at": NULLABLE_DATETIME,
    "created_at": DATETIME,
    "url": {"type": "string", "format": "uri", "description": "The item's page (HTML)."},
}
SCHEMAS |= {
    "NewFlag": obj(
        {
            "reason": _FLAG_REASON,
            "note": {"type": "string", "maxLength": 500, "description": "Required for other."},
        },
        optional=("note",),
    ),
    "FlagResult": obj(
        {
            "reason": _FLAG_REASON,
            "note": STRING,
            "weight": {"type": "integer", "description": "What this flag adds (by the flagger's role)."},
            "post_hidden": {
                "type": "boolean",
                "description": "Whether this flag hid the post pending review.",
            },
        }
    ),
    "ReviewQueueItem": obj(
        {
            **_REVIEW_ITEM,
            "post_id": {"type": ["integer", "null"]},
            "thread_id": {"type": ["integer", "null"]},
            "thread_title": NULLABLE_STRING,
            "author": _NULLABLE_AUTHOR,
            "waiting_seconds": {"type": "integer", "description": "How long it has waited."},
        }
    ),
    "ReviewQueue": obj(
        {"items": {"type": "array", "items": ref("ReviewQueueItem")}, "total": INTEGER},
        description="Pending items, oldest first (at most 50).",
    ),
    "ReviewItem": obj(
        {
            **_REVIEW_ITEM,
            "state": {"type": "string", "enum": ["pending", "decided"]},
            "thread": {"anyOf": [obj({"id": INTEGER, "title": STRING}), {"type": "null"}]},
            "post": {
                "anyOf": [
                    obj({"id": INTEGER, "state": STRING, "body_source": STRING, "body_html": STRING}),
                    {"type": "null"},
                ],
                "description": "The content, also when hidden.",
            },
            "author": _NULLABLE_AUTHOR,
            "author_history": obj(
                {
                    "post_count": INTEGER,
                    "flags_against": {"type": "integer", "description": "Flags ever raised on their posts."},
                    "decisions": {
                        "type": "array",
                        "items": obj(
                            {
                                "id": INTEGER,
                                "kind": _REVIEW_KIND,
                                "decision": NULLABLE_STRING,
                                "reason": STRING,
                                "decided_at": NULLABLE_DATETIME,
                            }
                        ),
                    },
                }
            ),
            "flags": {
                "type": "array",
                "items": obj(
                    {
                        "reason": _FLAG_REASON,
                        "note": STRING,
                        "weight": INTEGER,
                        "resolution": {"type": ["string", "null"], "enum": ["agreed", "disagreed", None]},
                        "created_at": DATETIME,
                        "flagger": _NULLABLE_AUTHOR,
                    }
                ),
            },
            "decision": {
                "type": ["string", "null"],
                "enum": ["keep", "hide", "delete", "restore", "edit", None],
            },
            "decision_reason": STRING,
            "decided_by": NULLABLE_STRING,
            "decided_at": NULLABLE_DATETIME,
        }
    ),
    "AuditLog": obj(
        {
            "items": {
                "type": "array",
                "items": obj(
                    {
                        "id": INTEGER,
                        "created_at": DATETIME,
                        "actor": {**_NULLABLE_AUTHOR, "description": "null: an automatic rule."},
                        "action": STRING,
                        "subject_type": STRING,
                        "subject_id": INTEGER,
                        "reason": STRING,
                        "before": {"type": ["object", "null"], "description": "The content before."},
                        "after": {"type": ["object", "null"], "description": "The content after."},
                    }
                ),
            },
            "total": INTEGER,
        }
    ),
    "RestoreReason": obj({"reason": {"type": "string", "maxLength": 500}}, optional=("reason",)),
    "WatchedWord": obj(
        {
            "id": INTEGER,
            "pattern": STRING,
            "is_regex": BOOLEAN,
            "action": {"type": "string", "enum": ["block", "hold", "flag", "censor"]},
            "categories": {"type": "array", "items": STRING, "description": "Empty: every category."},
            "created_at": DATETIME,
        }
    ),
    "WatchedWordList": obj({"items": {"type": "array", "items": ref("WatchedWord")}, "total": INTEGER}),
    "NewWatchedWord": obj(
        {
            "pattern": {"type": "string", "maxLength": 200},
            "action": {
                **{"type": "string", "enum": ["block", "hold", "flag", "censor"]},
                "description": "block: refused with a message naming it; hold: waits for approval; "
                "flag: published and queued; censor: shown masked.",
            },
            "is_regex": {"type": "boolean", "default": False},
            "categories": {"type": "array", "items": STRING, "description": "Slugs; empty: everywhere."},
        },
        optional=("is_regex", "categories"),
    ),
    "RuleTest": obj({"text": STRING, "category": {"type": "string", "description": "A category slug."}}),
    "RuleTestResult": obj(
        {
            "action": {"type": ["string", "null"], "enum": ["block", "hold", "flag", "censor", None]},
            "reason": STRING,
            "censored_text": NULLABLE_STRING,
        }
    ),
    "NewDecision": obj(
        {
            "decision": {
                "type": "string",
                "enum": ["keep", "hide", "delete", "restore", "edit"],
                "description": "keep: flags dismissed, the post shown; hide; delete (softly); restore; "
                "edit: the post rewritten with `body` and shown (a revision noting the reason).",
            },
            "reason": {
                "type": "string",
                "maxLength": 500,
                "description": "Required for hide, delete and edit: the author is told.",
            },
            "body": {"type": "string", "description": "For edit: the post's new Markdown text."},
            "title": {
                "type": "string",
                "maxLength": TITLE_MAX,
                "description": "For edit of a flagged thread: the thread's new title (422 elsewhere).",
            },
        },
        optional=("reason", "body", "title"),
    ),
}
PATHS |= {
    f"{PREFIX}/posts/{{id}}/flags": {
        "post": _op(
            "flagPost",
            "moderation",
            "Flag a post for moderators",
            ("201", ref("FlagResult"), "The flag (flagging again changes its reason)."),
            ("404",),
            description="403 on one's own post. Flags add weight by the flagger's role; at the "
            "threshold the post is hidden at once pending review.",
            params=("Id",),
            body="NewFlag",
        )
    },
    f"{PREFIX}/threads/{{id}}/flags": {
        "post": _op(
            "flagThread",
            "moderation",
            "Flag a thread as a whole (its title or topic) for moderators",
            ("201", ref("FlagResult"), "The flag; post_hidden: the whole thread is hidden pending review."),
            ("404",),
            description="403 on one's own thread. The flags sit on the opening post: at the threshold "
            "the whole thread is hidden pending review; one review item (kind flagged_thread) covers it.",
            params=("Id",),
            body="NewFlag",
        )
    },
    f"{PREFIX}/moderation/queue": {
        "get": _op(
            "listReviewQueue",
            "moderation",
            "Items waiting for a decision (moderators)",
            ("200", ref("ReviewQueue"), "Oldest first."),
            ("422",),
            params=("ReviewKind", "Category", "FlagReason"),
        )
    },
    f"{PREFIX}/moderation/items/{{id}}": {
        "get": _op(
            "getReviewItem",
            "moderation",
            "One review item with its content, flags and the author's history (moderators)",
            ("200", ref("ReviewItem"), "The item."),
            ("404",),
            params=("Id",),
        )
    },
    f"{PREFIX}/moderation/items/{{id}}/claim": {
        "post": _op(
            "claimReviewItem",
            "moderation",
            "Claim an item: other moderators see who handles it",
            ("200", ref("ReviewItem"), "The item."),
            ("404", "409"),
            description="409 when another moderator holds it or it was already decided.",
            params=("Id",),
        ),
        "delete": _op(
            "releaseReviewItem",
            "moderation",
            "Let go of one's claim",
            ("200", ref("ReviewItem"), "The item."),
            ("404", "409"),
            params=("Id",),
        ),
    },
    f"{PREFIX}/moderation/audit": {
        "get": _op(
            "listAuditLog",
            "moderation",
            "The audit log, newest first (moderators)",
            ("200", ref("AuditLog"), "At most 100 entries; total counts them all."),
            ("422",),
            description="`moderator`: a handle, or `rules` for automatic actions; `user`: entries "
            "about that member (their posts, threads, review items, account); `action`: a prefix "
            "such as `post.` or `thread.`; `since`/`until`: YYYY-MM-DD (inclusive). The HTML page "
            "offers the same as CSV.",
            params=("AuditModerator", "AuditUser", "AuditAction", "AuditSince", "AuditUntil"),
        )
    },
    f"{PREFIX}/moderation/audit/{{id}}/restore": {
        "post": _op(
            "restoreFromAudit",
            "moderation",
            "Make the post an audit entry is about visible again (moderators)",
            ("200", obj({"post_id": INTEGER, "state": STRING}), "The restored post."),
            ("404", "409"),
            description="409 when the entry is not about a post or the post is already visible.",
            params=("Id",),
            body="RestoreReason",
        )
    },
    f"{PREFIX}/moderation/watched-words": {
        "get": _op(
            "listWatchedWords",
            "moderation",
            "Watched words (administrators)",
            ("200", ref("WatchedWordList"), "Every watched word, newest first."),
            (),
        ),
        "post": _op(
            "addWatchedWord",
            "moderation",
            "Watch a word, phrase or regular expression (administrators)",
            ("201", ref("WatchedWord"), "The new watched word; it applies to new posts at once."),
            (),
            description="Matching is case-insensitive on Unicode-normalised text (full-width "
            "letters, accents, zero-width characters, repeated or separated letters are folded).",
            body="NewWatchedWord",
        ),
    },
    f"{PREFIX}/moderation/watched-words/{{id}}": {
        "delete": _op(
            "removeWatchedWord",
            "moderation",
            "Stop watching a word (administrators)",
            ("204", None, "Removed (the audit log keeps what it was)."),
            ("404",),
            params=("Id",),
        )
    },
    f"{PREFIX}/moderation/rules/test": {
        "post": _op(
            "tryWatchedWords",
            "moderation",
            "What a sample text would trigger in a category (administrators)",
            ("200", ref("RuleTestResult"), "Nothing is posted."),
            (),
            body="RuleTest",
        )
    },
    f"{PREFIX}/moderation/items/{{id}}/decision": {
        "post": _op(
            "decideReviewItem",
            "moderation",
            "Decide an item (moderators)",
            ("200", ref("ReviewItem"), "The decided item."),
            ("404", "409"),
            description="Applied once: when two moderators decide at the same moment, the second "
            "gets 409 'already decided' and nothing is applied twice.",
            params=("Id",),
            body="NewDecision",
        )
    },
}


# --- sanctions (community/api/sanctions.py) ------------------------------------------------------
_SANCTION_KIND: Schema = {"type": "string", "enum": ["warn", "silence", "suspend"]}
SCHEMAS |= {
    "Sanction": obj(
        {
            "id": INTEGER,
            "user": obj({"handle": STRING, "display_name": STRING}),
            "kind": _SANCTION_KIND,
            "reason": STRING,
            "starts_at": DATETIME,
            "ends_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "null: until lifted (a warning ends when given).",
            },
            "lifted_at": NULLABLE_DATETIME,
            "in_force": BOOLEAN,
            "created_by": {"type": ["string", "null"], "description": "The moderator's handle."},
        }
    ),
    "SanctionList": obj({"items": {"type": "array", "items": ref("Sanction")}, "total": INTEGER}),
    "NewSanction": obj(
        {
            "user": {"type": "string", "description": "The member's handle."},
            "kind": _SANCTION_KIND,
            "reason": {"type": "string", "maxLength": 500, "description": "The member is told."},
            "days": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": 3650,
                "description": "Length of a silence or suspension; null or absent: until lifted.",
            },
            "review_item_id": {
                "type": ["integer", "null"],
                "description": "The review item about this member the decision comes from.",
            },
        },
        optional=("days", "review_item_id"),
    ),
}
PATHS |= {
    f"{PREFIX}/moderation/sanctions": {
        "get": _op(
            "listSanctions",
            "moderation",
            "Silences and suspensions in force, or one member's history (moderators)",
            ("200", ref("SanctionList"), "Newest first, at most 500."),
            ("404",),
            description="Without `user`: every silence and suspension in force. With `user` (a "
            "handle): that member's whole history, warnings and lifted ones included.",
            params=("SanctionUser",),
        ),
        "post": _op(
            "createSanction",
            "moderation",
            "Warn, silence or suspend a member (moderators)",
            ("201", ref("Sanction"), "The sanction; the member is notified."),
            ("404",),
            description="Silenced: can read and vote, cannot ask, answer, edit, flag or change their "
            "profile (403 naming when it ends). Suspended: cannot sign in; sessions and API tokens "
            "answer 403. A new silence or suspension replaces the one in force. Moderators and "
            "admins can be sanctioned by admins only; nobody sanctions themselves (403).",
            body="NewSanction",
        ),
    },
    f"{PREFIX}/moderation/sanctions/{{id}}/lift": {
        "post": _op(
            "liftSanction",
            "moderation",
            "End a silence or suspension early (moderators)",
            ("200", ref("Sanction"), "The lifted sanction; the member is notified."),
            ("404", "409"),
            description="409 when it already ended, was lifted, or is a warning.",
            params=("Id",),
            body="RestoreReason",
        )
    },
}

# --- thread actions (moderators; closing one's own thread: its author) ---------------------------
_REASON: Schema = {"type": "string", "maxLength": 500, "description": "Recorded in the audit log."}
SCHEMAS |= {
    "ThreadStatusChange": obj(
        {"status": {"type": "string", "enum": ["open", "closed"]}, "reason": _REASON}, optional=("reason",)
    ),
    "ThreadLockChange": obj(
        {"locked": BOOLEAN, "reason": {**_REASON, "description": "Required to lock."}},
        optional=("reason",),
    ),
    "ThreadPinChange": obj({"pinned": BOOLEAN, "reason": _REASON}, optional=("reason",)),
    "ThreadMove": obj(
        {"category": {"type": "string", "description": "The new category's slug."}, "reason": _REASON},
        optional=("reason",),
    ),
    "ThreadMerge": obj(
        {
            "into": {
                "type": ["integer", "string"],
                "description": "The thread to merge into: its id, or its address (/t/123).",
            },
            "reason": {**_REASON, "description": "Required."},
            "confirm_wider": {
                "type": "boolean",
                "description": "The target's category is seen by more people than this thread's and "
                "its posts hold nothing partner-confidential. Without it such a merge answers 422.",
            },
        },
        optional=("confirm_wider",),
    ),
    "ThreadDuplicate": obj(
        {
            "of": {
                "type": ["integer", "string", "null"],
                "description": "The original thread (id or address); null takes the mark back and reopens.",
            },
            "reason": _REASON,
        },
        optional=("reason",),
    ),
    "MergedThread": obj(
        {
            "merged_into": {"type": "integer", "description": "The thread this one was merged into."},
            "url": {"type": "string", "format": "uri", "description": "That thread in the API."},
        }
    ),
}


def _thread_action(op_id: str, summary: str, body: str, description: str, ok: str = "The thread.") -> Schema:
    return _op(
        op_id,
        "moderation",
        summary,
        ("200", ref("ThreadSummary"), ok),
        ("404", "409"),
        description=description + " Every action is recorded in the audit log; others get 403.",
        params=("Id",),
        body=body,
    )


PATHS |= {
    f"{PREFIX}/threads/{{id}}/status": {
        "post": _thread_action(
            "setThreadStatus",
            "Close a thread (no new answers) or reopen it",
            "ThreadStatusChange",
            "Moderators; the thread's author may close it (not reopen it). Reopening a duplicate "
            "takes the duplicate mark back.",
        )
    },
    f"{PREFIX}/threads/{{id}}/lock": {
        "post": _thread_action(
            "setThreadLocked",
            "Lock a thread (only moderators may post, edit or vote in it) or unlock it",
            "ThreadLockChange",
            "Moderators only, also for their own threads' authors.",
        )
    },
    f"{PREFIX}/threads/{{id}}/pin": {
        "post": _thread_action(
            "setThreadPinned",
            "Pin a thread to the top of its category, or unpin it",
            "ThreadPinChange",
            "Moderators only.",
        )
    },
    f"{PREFIX}/threads/{{id}}/move": {
        "post": _thread_action(
            "moveThread",
            "Move a thread to another category",
            "ThreadMove",
            "Moderators only. Whoever cannot see the new category loses sight of the thread (pages, "
            "lists, search). 422 names `category` when it is missing or the current one.",
        )
    },
    f"{PREFIX}/threads/{{id}}/merge": {
        "post": _thread_action(
            "mergeThread",
            "Merge a thread into another one",
            "ThreadMerge",
            "Moderators only. Every post moves into the target (kept in time order), tags are merged, "
            "the target keeps its accepted answer (or takes this thread's). This thread's page and "
            "GET /threads/{id} lead to the target from then on (301 / 308). 422 names `into` for the "
            "same thread or one that does not exist, and `confirm_wider` when the target is seen by more "
            "people and it is not true; 409 when one of them was merged or moved meanwhile.",
            ok="The thread merged into.",
        )
    },
    f"{PREFIX}/threads/{{id}}/duplicate": {
        "post": _thread_action(
            "markThreadDuplicate",
            "Mark a thread as a duplicate of another (closing it), or take the mark back",
            "ThreadDuplicate",
            "Moderators only. Its page shows a banner linking to the original.",
        )
    },
}
PATHS[f"{PREFIX}/threads/{{id}}"]["get"]["responses"]["308"] = {
    **_json(ref("MergedThread"), "This thread was merged into another: Location names it."),
    "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
}

# --- the moderation overview ---------------------------------------------------------------------
_COUNTED_PERSON = {"handle": STRING, "display_name": STRING}
SCHEMAS |= {
    "ModerationOverview": obj(
        {
            "since": {**DATETIME, "description": "Start of the week counted (the last 7 days)."},
            "waiting": {
                "type": "array",
                "items": obj({"kind": _REVIEW_KIND, "count": INTEGER}),
                "description": "Items waiting, by type (every type, zeros included).",
            },
            "waiting_total": INTEGER,
            "oldest": {
                "anyOf": [
                    obj(
                        {
                            "id": INTEGER,
                            "kind": _REVIEW_KIND,
                            "reason": STRING,
                            "thread_title": NULLABLE_STRING,
                            "created_at": DATETIME,
                            "waiting_seconds": INTEGER,
                        }
                    ),
                    {"type": "null"},
                ],
                "description": "The item waiting longest.",
            },
            "moderators": {
                "type": "array",
                "items": obj(
                    {
                        **_COUNTED_PERSON,
                        "decisions": {"type": "integer", "description": "Review items decided this week."},
                        "actions": {"type": "integer", "description": "Audited actions this week."},
                    }
                ),
            },
            "decided_this_week": {"type": "integer", "description": "Flagged items decided this week."},
            "median_seconds_to_decision": {
                "type": ["integer", "null"],
                "description": "Median time from the first flag to the decision, this week.",
            },
            "flags_since": {**DATETIME, "description": "Start of the most-flagged window (30 days)."},
            "flagged_users": {
                "type": "array",
                "items": obj({**_COUNTED_PERSON, "flags": INTEGER}),
                "description": "Members whose posts drew the most flags (at most 10).",
            },
            "flagged_threads": {
                "type": "array",
                "items": obj({"id": INTEGER, "title": STRING, "flags": INTEGER}),
                "description": "Threads that drew the most flags (at most 10).",
            },
        }
    ),
}
PATHS |= {
    f"{PREFIX}/moderation/overview": {
        "get": _op(
            "getModerationOverview",
            "moderation",
            "What waits, how fast it is decided, by whom, and where flags gather (moderators)",
            ("200", ref("ModerationOverview"), "The overview."),
            (),
        )
    },
}

# --- knowledge base ------------------------------------------------------------------------------------

_ARTICLE_STATE: Schema = {"type": "string", "enum": ["draft", "published", "archived"]}
_KB_CATEGORY = obj({"slug": STRING, "name": STRING})
_NULLABLE_INT: Schema = {"type": ["integer", "null"]}
_DIFF_ROW = obj(
    {
        "kind": {"type": "string", "enum": ["equal", "changed", "removed", "added"]},
        "left_no": _NULLABLE_INT,
        "left": STRING,
        "right_no": _NULLABLE_INT,
        "right": STRING,
    }
)
_ARTICLE_FIELDS: dict[str, Schema] = {
    "title": {"type": "string", "minLength": TITLE_MIN, "maxLength": TITLE_MAX},
    "summary": {"type": "string", "maxLength": 500, "description": "One or two sentences for lists."},
    "body": {"type": "string", "maxLength": BODY_MAX, "description": "Markdown; sanitised when saved."},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": TAG_MAX_LEN}, "maxItems": TAGS_MAX},
    "category": {"type": "string", "description": "A category slug: its readers read the article."},
    "products": {"type": "array", "items": INTEGER, "description": "Product version ids it applies to."},
    "note": {"type": "string", "maxLength": 200, "description": "What changed (the version history)."},
    "confirm_wider": {
        "type": "boolean",
        "description": "Publish to a category seen by more people than the source thread's (the text "
        "must hold nothing partner-confidential). Without it such a category answers 422.",
    },
}

SCHEMAS |= {
    "ArticleSummary": obj(
        {
            "id": INTEGER,
            "title": STRING,
            "summary": STRING,
            "category": _KB_CATEGORY,
            "tags": TAGS,
            "state": _ARTICLE_STATE,
            "needs_review": BOOLEAN,
            "helpful_percent": {**_NULLABLE_INT, "description": "Staff only (null for others)."},
            "published_at": NULLABLE_DATETIME,
            "updated_at": DATETIME,
            "url": {"type": "string", "format": "uri", "description": "The article's page (HTML)."},
        }
    ),
    "ArticleList": listing("ArticleSummary"),
    "Article": obj(
        {
            "id": INTEGER,
            "title": STRING,
            "summary": STRING,
            "body_html": {"type": "string", "description": "Sanitised HTML."},
            "body_source": {"type": "string", "description": "The Markdown source."},
            "category": _KB_CATEGORY,
            "tags": TAGS,
            "state": _ARTICLE_STATE,
            "needs_review": BOOLEAN,
            "needs_review_reason": STRING,
            "products": {
                "type": "array",
                "items": obj({"id": INTEGER, "product": STRING, "version": STRING, "superseded": BOOLEAN}),
            },
            "answer_author": {**obj({"handle": STRING, "display_name": STRING}), "type": ["object", "null"]},
            "curator": ref("AuthorSummary"),
            "source_thread": {
                **obj({"id": INTEGER, "title": STRING, "post_id": _NULLABLE_INT, "url": STRING}),
                "type": ["object", "null"],
                "description": "The thread the answer came from, when the caller may see it.",
            },
            "version_count": INTEGER,
            "my_rating": {"type": ["boolean", "null"], "description": "The caller's rating, if any."},
            "helpful_percent": {**_NULLABLE_INT, "description": "Staff only (null for others)."},
            "view_count": {**_NULLABLE_INT, "description": "Staff only (null for others)."},
            "related": {"type": "array", "items": obj({"id": INTEGER, "title": STRING})},
            "can_curate": BOOLEAN,
            "created_at": DATETIME,
            "updated_at": DATETIME,
            "published_at": NULLABLE_DATETIME,
            "url": {"type": "string", "format": "uri"},
        }
    ),
    "ArticleVersion": obj(
        {
            "number": INTEGER,
            "title": STRING,
            "summary": STRING,
            "body_source": STRING,
            "body_html": STRING,
            "category": _KB_CATEGORY,
            "tags": TAGS,
            "product_version_ids": {"type": "array", "items": INTEGER},
            "note": STRING,
            "editor": ref("AuthorSummary"),
            "created_at": DATETIME,
        }
    ),
    "ArticleVersionList": listing("ArticleVersion"),
    "ArticleComparison": obj(
        {
            "from": INTEGER,
            "to": INTEGER,
            "changed": {"type": "integer", "description": "Lines that differ."},
            "meta": {"type": "array", "items": _DIFF_ROW, "description": "Title, summary, category, tags."},
            "body": {"type": "array", "items": _DIFF_ROW, "description": "The Markdown, line by line."},
        }
    ),
    "NewArticle": obj(
        {
            **_ARTICLE_FIELDS,
            "state": {"type": "string", "enum": ["draft", "published"], "default": "published"},
        },
        optional=(*_ARTICLE_FIELDS, "state"),
        description="Everything is optional: title, body, tags and category default from the thread.",
    ),
    "ArticleEdit": obj(
        {
            **_ARTICLE_FIELDS,
            "base_version": {
                "type": "integer",
                "description": "The version you started from: 409 if someone saved another since.",
            },
        },
        optional=("summary", "tags", "products", "note", "confirm_wider", "base_version"),
    ),
    "RestoreVersion": obj({"note": {"type": "string", "maxLength": 200}}, optional=("note",)),
    "ArticleStateChange": obj({"state": _ARTICLE_STATE}),
    "ReviewRequest": obj({"reason": {"type": "string", "maxLength": 300}}),
    "Rating": obj({"helpful": {"type": ["boolean", "null"], "description": "null takes it back."}}),
    "ProductVersion": obj(
        {
            "id": INTEGER,
            "product_id": INTEGER,
            "name": STRING,
            "superseded": BOOLEAN,
            "superseded_at": NULLABLE_DATETIME,
        }
    ),
    "Product": obj(
        {"id": INTEGER, "name": STRING, "versions": {"type": "array", "items": ref("ProductVersion")}}
    ),
    "ProductList": listing("Product"),
    "NewProduct": obj({"name": {"type": "string", "maxLength": 80}}),
    "NewProductVersion": obj({"name": {"type": "string", "maxLength": 60}}),
    "ProductVersionChange": obj({"superseded": BOOLEAN}),
    "SupersedeResult": obj({"version": ref("ProductVersion"), "articles_sent_to_review": INTEGER}),
}

_ARTICLE_OK = ("200", ref("Article"), "The article as the caller sees it.")
_CURATORS = "Experts, moderators and administrators (403 for others)."

PATHS |= {
    f"{PREFIX}/kb/articles": {
        "get": _op(
            "listArticles",
            "knowledge base",
            "List articles",
            ("200", ref("ArticleList"), "One page of articles the caller may see."),
            ("404", "422"),
            description="Published articles (staff may ask for drafts or archived ones) in categories "
            "the caller may see. An unknown or invisible category answers 404.",
            params=("Category", "KbTag", "KbProduct", "KbState", "KbNeedsReview", "KbSort", "Page"),
        )
    },
    f"{PREFIX}/kb/articles/{{id}}": {
        "get": _op("getArticle", "knowledge base", "One article", _ARTICLE_OK, ("404",), params=("Id",)),
        "patch": _op(
            "editArticle",
            "knowledge base",
            "Edit an article (saves a new version)",
            _ARTICLE_OK,
            ("404", "409"),
            description=_CURATORS + " 409 when `base_version` is not the current version.",
            params=("Id",),
            body="ArticleEdit",
        ),
    },
    f"{PREFIX}/kb/articles/{{id}}/versions": {
        "get": _op(
            "listArticleVersions",
            "knowledge base",
            "Every version of an article, newest first",
            ("200", ref("ArticleVersionList"), "All versions (one page)."),
            ("404",),
            params=("Id",),
        )
    },
    f"{PREFIX}/kb/articles/{{id}}/compare": {
        "get": _op(
            "compareArticleVersions",
            "knowledge base",
            "Two versions side by side",
            ("200", ref("ArticleComparison"), "Line pairs of the two versions."),
            ("404", "422"),
            params=("Id", "VersionFrom", "VersionTo"),
        )
    },
    f"{PREFIX}/kb/articles/{{id}}/versions/{{number}}/restore": {
        "post": _op(
            "restoreArticleVersion",
            "knowledge base",
            "Restore an older version (as a new version)",
            _ARTICLE_OK,
            ("404", "409"),
            description=_CURATORS,
            params=("Id", "VersionNumber"),
            body="RestoreVersion",
        )
    },
    f"{PREFIX}/kb/articles/{{id}}/state": {
        "post": _op(
            "setArticleState",
            "knowledge base",
            "Publish, archive or return an article to draft",
            _ARTICLE_OK,
            ("404", "409"),
            description=_CURATORS + " Archived articles leave lists and search; staff still reach them.",
            params=("Id",),
            body="ArticleStateChange",
        )
    },
    f"{PREFIX}/kb/articles/{{id}}/review": {
        "post": _op(
            "flagArticleForReview",
            "knowledge base",
            "Say the article needs review",
            _ARTICLE_OK,
            ("404",),
            description="Anyone who may read it; its curators are notified.",
            params=("Id",),
            body="ReviewRequest",
        ),
        "delete": _op(
            "clearArticleReview",
            "knowledge base",
            "Clear the needs-review flag",
            _ARTICLE_OK,
            ("404",),
            description=_CURATORS,
            params=("Id",),
        ),
    },
    f"{PREFIX}/kb/articles/{{id}}/rating": {
        "post": _op(
            "rateArticle",
            "knowledge base",
            "Rate an article helped or did not help",
            _ARTICLE_OK,
            ("404", "409"),
            description="One rating per reader, changeable; 409 for drafts and archived articles.",
            params=("Id",),
            body="Rating",
        ),
        "delete": _op(
            "unrateArticle",
            "knowledge base",
            "Take your rating back",
            _ARTICLE_OK,
            ("404", "409"),
            params=("Id",),
        ),
    },
    f"{PREFIX}/posts/{{id}}/promote": {
        "post": _op(
            "promoteAnswer",
            "knowledge base",
            "Mark an answer best practice: a new knowledge-base article",
            ("201", ref("Article"), "The new article."),
            ("404", "409"),
            description=_CURATORS + " 409 when the answer already is an article (the message names it). "
            "A restricted thread's answer goes only to a category with the same or a narrower "
            "audience unless `confirm_wider` is true.",
            params=("Id",),
            body="NewArticle",
            headers=_location("The article's API address."),
        )
    },
    f"{PREFIX}/kb/products": {
        "get": _op(
            "listProducts",
            "knowledge base",
            "Products and versions articles apply to",
            ("200", ref("ProductList"), "All of them (one page)."),
            (),
        ),
        "post": _op(
            "createProduct",
            "knowledge base",
            "Add a product",
            ("201", ref("Product"), "The new product."),
            ("409",),
            description=_CURATORS,
            body="NewProduct",
        ),
    },
    f"{PREFIX}/kb/products/{{id}}/versions": {
        "post": _op(
            "addProductVersion",
            "knowledge base",
            "Add a version to a product",
            ("201", ref("ProductVersion"), "The new version."),
            ("404", "409"),
            description=_CURATORS,
            params=("Id",),
            body="NewProductVersion",
        )
    },
    f"{PREFIX}/kb/product-versions/{{id}}": {
        "patch": _op(
            "setProductVersionSuperseded",
            "knowledge base",
            "Mark a product version superseded (or current again)",
            ("200", ref("SupersedeResult"), "The version, and how many articles went to review."),
            ("404",),
            description=_CURATORS
            + " Superseding sends its articles to needs-review and notifies their curators.",
            params=("Id",),
            body="ProductVersionChange",
        )
    },
}


# --- confidentiality rules per category (administrators) -----------------------------------------
_CONFIDENTIALITY: Schema = {
    "type": "string",
    "enum": ["default", "on", "off"],
    "description": "default: on where every partner can see the category.",
}
SCHEMAS |= {
    "RuleSwitchList": obj(
        {
            "items": {
                "type": "array",
                "items": obj(
                    {
                        "category": {"type": "string", "description": "The category's slug."},
                        "name": STRING,
                        "confidentiality": _CONFIDENTIALITY,
                        "default_on": {"type": "boolean", "description": "Whether the default means on."},
                    }
                ),
            },
            "total": INTEGER,
        }
    ),
    "RuleSwitch": obj(
        {"category": {"type": "string", "description": "A slug."}, "confidentiality": _CONFIDENTIALITY}
    ),
}
PATHS |= {
    f"{PREFIX}/moderation/rules/categories": {
        "get": _op(
            "listRuleSwitches",
            "moderation",
            "Where the confidentiality starter rules apply (administrators)",
            ("200", ref("RuleSwitchList"), "Every category with its switch."),
            (),
        ),
        "post": _op(
            "setRuleSwitch",
            "moderation",
            "Switch the confidentiality rules on or off in a category, or back to the default",
            ("200", ref("RuleSwitchList"), "Every category with its switch; applies at once, audited."),
            (),
            body="RuleSwitch",
        ),
    },
}

# --- notifications, watches and announcements ------------------------------------------------------
_NOTIFICATION_KIND: Schema = {
    "type": "string",
    "enum": list(NotificationKind.ALL),
    "description": "reply, answer: to your thread; mention; accepted, best_practice: your answer; "
    "watched_thread: a new post in a thread you watch; watched_question: a new question in a category "
    "or tag you watch; flag_outcome; post_hidden, post_restored, post_edited: your post; "
    "thread_moderated: your thread; review_item, article_review: moderators and curators; sanction; "
    "announcement.",
}
_WATCH_TARGET: Schema = {"type": "string", "enum": list(WatchTarget.ALL)}
SCHEMAS |= {
    "Notification": obj(
        {
            "id": INTEGER,
            "kind": _NOTIFICATION_KIND,
            "text": STRING,
            "url": {
                "type": "string",
                "format": "uri",
                "description": "What it is about (HTML). A post's address leads to the page of its "
                "thread that shows it.",
            },
            "thread_id": {"type": ["integer", "null"]},
            "post_id": {"type": ["integer", "null"]},
            "article_id": {"type": ["integer", "null"]},
            "count": {
                "type": "integer",
                "description": "How many events this entry groups (several replies in one thread while "
                "it was unread); text and url are the latest one's.",
            },
            "read": BOOLEAN,
            "read_at": NULLABLE_DATETIME,
            "created_at": DATETIME,
            "updated_at": {**DATETIME, "description": "The latest event it groups; lists sort by it."},
        }
    ),
    "NotificationList": obj(
        {
            "items": {"type": "array", "items": ref("Notification")},
            "unread": {"type": "integer", "description": "Unread notifications in all."},
            "next": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "The next page (a cursor after the last item), or null.",
            },
        }
    ),
    "UnreadCount": obj({"unread": INTEGER}),
    "MarkedRead": obj({"marked": {"type": "integer", "description": "How many were unread."}}),
    "NotificationPreferences": obj(
        {
            "muted_kinds": {
                "type": "array",
                "items": _NOTIFICATION_KIND,
                "description": "Kinds switched off (sanction cannot be).",
            },
            "watch_started": {"type": "boolean", "description": "Watch the threads you start."},
            "watch_answered": {"type": "boolean", "description": "Watch the threads you answer."},
            "kinds": {
                "type": "array",
                "items": _NOTIFICATION_KIND,
                "description": "The kinds you can switch off.",
            },
        }
    ),
    "PreferencesUpdate": obj(
        {
            "muted_kinds": {"type": "array", "items": _NOTIFICATION_KIND},
            "watch_started": BOOLEAN,
            "watch_answered": BOOLEAN,
        },
        optional=("muted_kinds", "watch_started", "watch_answered"),
        description="Fields left out keep their value.",
    ),
    "Watch": obj(
        {
            "id": INTEGER,
            "target_type": _WATCH_TARGET,
            "target": {"type": "string", "description": "Thread id, category slug or tag name."},
            "label": {"type": "string", "description": "The thread's title, category's name or the tag."},
            "level": {"type": "string", "enum": ["watching", "muted"]},
            "url": {"type": "string", "format": "uri"},
            "created_at": DATETIME,
        }
    ),
    "WatchList": listing("Watch"),
    "NewWatch": obj(
        {
            "target_type": _WATCH_TARGET,
            "target": {
                "type": ["string", "integer"],
                "description": "A thread id, a category slug or a tag name.",
            },
            "level": {
                "type": "string",
                "enum": ["watching", "muted"],
                "description": "watching: a notification for each new post in the thread, or each new "
                "question in the category or tag; muted: none from it.",
            },
        }
    ),
    "Announcement": obj(
        {
            "id": INTEGER,
            "title": STRING,
            "body_html": {"type": "string", "description": "Sanitised HTML."},
            "audience": {"type": "string", "description": "all, or a partner tier."},
            "author": ref("AuthorSummary"),
            "recipient_count": {"type": "integer", "description": "People notified."},
            "created_at": DATETIME,
            "url": {"type": "string", "format": "uri", "description": "Its page (HTML)."},
        }
    ),
    "NewAnnouncement": obj(
        {
            "title": {"type": "string", "minLength": TITLE_MIN, "maxLength": TITLE_MAX},
            "body": {"type": "string", "description": "Markdown.", "maxLength": BODY_MAX},
            "audience": {
                "type": "string",
                "default": "all",
                "description": "all, or a partner tier: only that tier's partners are notified.",
            },
        },
        optional=("audience",),
    ),
}
PATHS |= {
    f"{PREFIX}/notifications": {
        "get": _op(
            "listNotifications",
            "notifications",
            "Your notifications, newest activity first",
            ("200", ref("NotificationList"), "One page; follow next for more."),
            ("422",),
            description="Cursor-paginated: `next` carries a cursor after the last item. An entry that "
            "groups several events moves to the top when it grows. Entries about threads you can no "
            "longer see are left out.",
            params=("Cursor", "Limit", "UnreadOnly"),
        )
    },
    f"{PREFIX}/notifications/unread-count": {
        "get": _op(
            "countUnreadNotifications",
            "notifications",
            "How many notifications are unread",
            ("200", ref("UnreadCount"), "The count."),
            (),
        )
    },
    f"{PREFIX}/notifications/{{id}}/read": {
        "post": _op(
            "markNotificationRead",
            "notifications",
            "Mark one notification read",
            ("200", ref("Notification"), "The notification."),
            ("404",),
            description="Someone else's notification answers 404.",
            params=("Id",),
        )
    },
    f"{PREFIX}/notifications/read-all": {
        "post": _op(
            "markAllNotificationsRead",
            "notifications",
            "Mark every notification read",
            ("200", ref("MarkedRead"), "How many were unread."),
            (),
        )
    },
    f"{PREFIX}/notifications/preferences": {
        "get": _op(
            "getNotificationPreferences",
            "notifications",
            "Your notification preferences",
            ("200", ref("NotificationPreferences"), "The preferences."),
            (),
        ),
        "put": _op(
            "setNotificationPreferences",
            "notifications",
            "Change your notification preferences",
            ("200", ref("NotificationPreferences"), "The preferences now."),
            (),
            body="PreferencesUpdate",
        ),
    },
    f"{PREFIX}/watches": {
        "get": _op(
            "listWatches",
            "notifications",
            "The threads, categories and tags you watch or muted",
            ("200", ref("WatchList"), "Newest first (one page)."),
            (),
        ),
        "post": _op(
            "setWatch",
            "notifications",
            "Watch or mute a thread, category or tag",
            ("200", ref("Watch"), "The watch (replacing any earlier one on the same target)."),
            ("404",),
            description="A thread or category you may not see answers 404. A tag nobody used yet "
            "can be watched.",
            body="NewWatch",
        ),
    },
    f"{PREFIX}/watches/{{id}}": {
        "delete": _op(
            "deleteWatch",
            "notifications",
            "Stop watching or muting",
            ("204", None, "Removed."),
            ("404",),
            params=("Id",),
        )
    },
    f"{PREFIX}/announcements": {
        "post": _op(
            "sendAnnouncement",
            "notifications",
            "Send an announcement (administrators)",
            ("201", ref("Announcement"), "Sent: every recipient has a notification linking to it."),
            (),
            body="NewAnnouncement",
            headers=_location("The announcement's API address."),
        )
    },
    f"{PREFIX}/announcements/{{id}}": {
        "get": _op(
            "getAnnouncement",
            "notifications",
            "One announcement",
            ("200", ref("Announcement"), "The announcement."),
            ("404",),
            description="Sent to another tier: 404.",
            params=("Id",),
        )
    },
}


# Every state-changing operation takes the CSRF header (needed with the session cookie only).
for _operations in PATHS.values():
    for _method, _operation in _operations.items():
        if _method != "get":
            _operation["parameters"].append({"$ref": "#/components/parameters/CsrfToken"})


def _query(name: str, description: str, schema: Schema) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _path(name: str, description: str, schema: Schema) -> Schema:
    return {"name": name, "in": "path", "required": True, "description": description, "schema": schema}


PARAMETERS: dict[str, Schema] = {
    "Id": _path("id", "A numeric id. Anything else answers 404.", {"type": "integer", "minimum": 0}),
    "Handle": _path("handle", "A member's handle.", STRING),
    "Slug": _path("slug", "An organisation's slug.", STRING),
    "Page": _query("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "default": 1}),
    "Category": _query("category", "A category slug.", STRING),
    "Tag": _query("tag", "Only threads with this tag.", STRING),
    "Status": _query("status", "open or closed.", {"type": "string", "enum": ["open", "closed"]}),
    "Show": _query(
        "show",
        "latest (default), unanswered (questions without answers) or solved (with an accepted answer).",
        {"type": "string", "enum": ["latest", "unanswered", "solved"], "default": "latest"},
    ),
    "Query": _query("q", "The search query (see the operation's description).", STRING),
    "Sort": _query(
        "sort",
        "relevance (default), newest or votes.",
        {"type": "string", "enum": ["relevance", "newest", "votes"], "default": "relevance"},
    ),
    "Title": _query("title", "A question title, as typed so far.", STRING),
    "CsrfToken": {
        "name": "X-CSRF-Token",
        "in": "header",
        "required": False,
        "description": "Required when signed in with the session cookie (the value is `csrf_token` "
        "from GET /api/v1/me); not needed with a Bearer token. Missing or wrong: 403 csrf_failed.",
        "schema": STRING,
    },
}

PARAMETERS |= {
    "ReviewKind": _query("kind", "flagged_post, flagged_thread, held_post or new_account.", _REVIEW_KIND),
    "FlagReason": _query("reason", "Only items with an open flag of this reason.", _FLAG_REASON),
    "AuditModerator": _query("moderator", "Who acted: a handle, or rules.", STRING),
    "AuditUser": _query(
        "user", "The member acted upon (their posts, threads, review items, account): a handle.", STRING
    ),
    "AuditAction": _query("action", "An action or its prefix, e.g. post. or post.delete.", STRING),
    "AuditSince": _query("since", "From this day (YYYY-MM-DD).", {"type": "string", "format": "date"}),
    "AuditUntil": _query("until", "Up to and including this day.", {"type": "string", "format": "date"}),
    "SanctionUser": _query("user", "A member's handle: their whole history.", STRING),
}

PARAMETERS |= {
    "KbTag": _query("tag", "Only articles with this tag.", STRING),
    "KbProduct": _query("product", "Only articles for this product version (its id).", INTEGER),
    "KbState": _query("state", "published (default); staff may ask for draft or archived.", _ARTICLE_STATE),
    "KbNeedsReview": _query("needs_review", "true: only articles flagged as needing review.", BOOLEAN),
    "KbSort": _query(
        "sort", "newest (default) or helpful.", {"type": "string", "enum": ["newest", "helpful"]}
    ),
    "VersionFrom": _query("from", "The older version's number.", INTEGER),
    "VersionTo": _query("to", "The newer version's number.", INTEGER),
    "VersionNumber": _path("number", "A version number.", {"type": "integer", "minimum": 1}),
    "Cursor": _query("cursor", "Where the previous page ended (from its next link).", STRING),
    "Limit": _query(
        "limit", "Items per page.", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}
    ),
    "UnreadOnly": _query("unread", "true: unread notifications only.", {"type": "boolean", "default": False}),
}

DESCRIPTION = """\
The Partner Community JSON API. It uses the same services, permissions and validation as the web
pages.

**Authentication**: `Authorization: Bearer <token>` (create one with `community create-token EMAIL`)
or the session cookie of a signed-in browser. A Bearer header wins over the cookie.

**CSRF**: requests that change something (POST, PATCH, DELETE) made with the session cookie must
send the `X-CSRF-Token` header with the `csrf_token` value from `GET /api/v1/me`. Bearer requests
are exempt.

**Errors** always answer `{"error": {"code", "message", "fields"}}`. Something the caller may not
see answers 404, exactly like something that does not exist.

**Lists** answer `{"items": [...], "total": N, "next": URL-or-null}`; follow `next` for more.
"""


def document(base_url: str = "") -> Schema:
    """The whole document; ``base_url`` fills in the server address."""
    return copy.deepcopy(
        {
            "openapi": "3.1.0",
            "info": {"title": "Partner Community API", "version": "1.0.0", "description": DESCRIPTION},
            "servers": [{"url": base_url or "/"}],
            "security": [{"bearerAuth": []}, {"sessionCookie": []}],
            "tags": [
                {"name": "threads"},
                {"name": "posts"},
                {"name": "categories"},
                {"name": "search"},
                {"name": "knowledge base"},
                {"name": "moderation"},
                {"name": "notifications"},
                {"name": "accounts"},
                {"name": "meta"},
            ],
            "paths": PATHS,
            "components": {
                "schemas": SCHEMAS,
                "parameters": PARAMETERS,
                "responses": {name: _json(ref("Error"), text) for name, text in _ERRORS.items()},
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A personal API token from `community create-token EMAIL`.",
                    },
                    "sessionCookie": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "community_session",
                        "description": "The browser session; state-changing requests also need "
                        "the X-CSRF-Token header.",
                    },
                },
            },
        }
    )


async def openapi_json(request: Request) -> Response:
    return JSONResponse(document(settings_of(request).base_url))


routes = [Route("/openapi.json", openapi_json, methods=["GET"])]

"""Threads, posts, revisions and categories: what the forum's JSON reads and answers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from msgspec import UNSET, Meta, UnsetType

from community.accounts.directory import CategorySummary, visibility_label
from community.api.shapes import (
    AuthorSummary,
    Body,
    CategoryRef,
    Instant,
    Listing,
    Role,
    Shape,
    choice,
    flag,
    text,
    thread_url,
    utc,
)
from community.forum.thread_page import PostView, ThreadView
from community.models import Category as CategoryModel
from community.models import PostState, ThreadKind
from community.settings import Settings
from community.validation import (
    BODY_MAX,
    DESCRIPTION_MAX,
    EDIT_NOTE_MAX,
    NAME_MAX,
    REASON_MAX,
    TAG_MAX_LEN,
    TAGS_MAX,
    TITLE_MAX,
    TITLE_MIN,
)

ThreadKindName = Annotated[str, Meta(extra_json_schema={"enum": list(ThreadKind.ALL)})]
ThreadStatusName = Annotated[str, Meta(extra_json_schema={"enum": ["open", "closed"]})]


class ThreadSummary(Shape):
    """A thread as lists show it."""

    id: int
    title: str
    kind: ThreadKindName
    status: ThreadStatusName
    pinned: bool
    locked: Annotated[bool, Meta(description="Only moderators may post, edit or vote in it.")]
    duplicate_of_id: Annotated[
        int | None, Meta(description="The thread this one duplicates (it is then closed).")
    ]
    tags: list[str]
    category: CategoryRef
    author: AuthorSummary
    reply_count: Annotated[int, Meta(description="Answers or replies, not counting the opening post.")]
    view_count: int
    score: Annotated[int, Meta(description="Helpful votes on the opening post.")]
    accepted_post_id: int | None
    is_solved: bool
    is_private: Annotated[
        bool,
        Meta(
            description="A private question: only the asker's organisation and staff (experts, moderators, "
            "administrators) see it, in every list, search and notification."
        ),
    ]
    created_at: Instant
    last_activity_at: Instant
    url: Annotated[str, Meta(description="The thread's page (HTML).", extra_json_schema={"format": "uri"})]


class PostAuthor(Shape):
    """Who wrote a post."""

    handle: str
    display_name: str
    organisation: Annotated[str, Meta(description="The organisation's name.")]
    role: Role


class Post(Shape):
    """One post: a question, an answer or a reply."""

    id: int
    thread_id: int
    is_opening: Annotated[bool, Meta(description="The question or first post of the thread.")]
    author: PostAuthor
    body_html: Annotated[
        str, Meta(description="Sanitised HTML; empty for deleted posts and posts hidden from the caller.")
    ]
    body_source: Annotated[
        str | None, Meta(description="The Markdown source; null unless the caller may edit the post.")
    ]
    score: int
    is_accepted: bool
    state: Annotated[
        str,
        Meta(extra_json_schema={"enum": [PostState.VISIBLE, PostState.DELETED, PostState.HIDDEN,
                                         PostState.PENDING]}),
    ]  # fmt: skip
    created_at: Instant
    edited_at: Instant | None
    revision_count: int
    voted: Annotated[bool, Meta(description="Whether the caller marked it helpful.")]
    can_edit: bool
    can_delete: bool
    can_vote: bool
    can_accept: bool
    article_id: Annotated[
        int | None,
        Meta(
            description="The published knowledge-base article this answer became (best practice), "
            "when the caller may read it."
        ),
    ]
    held_reason: Annotated[
        str | None,
        Meta(
            description="For a post held for review (state pending), shown to its author and moderators: "
            "which rule held it and what the author can do. Null otherwise."
        ),
    ]


class Thread(ThreadSummary):
    """A thread with its opening post and one page of posts."""

    can_reply: Annotated[bool, Meta(description="Whether the caller may answer.")]
    can_accept: Annotated[bool, Meta(description="Whether the caller may accept answers.")]
    opening_post: Post
    posts: Annotated[
        list[Post],
        Meta(
            description="One page of answers (questions: the accepted one first, then by score) or "
            "replies (discussions: in time order)."
        ),
    ]
    page: int
    pages: int
    total_posts: Annotated[int, Meta(description="Answers or replies over all pages.")]
    next: Annotated[
        str | None, Meta(description="URL of the next page.", extra_json_schema={"format": "uri"})
    ]


class ThreadList(Listing):
    """One page of threads."""

    items: list[ThreadSummary]


class Revision(Shape):
    """A saved version of a post."""

    number: Annotated[int, Meta(description="1 is the original.")]
    title: Annotated[str | None, Meta(description="Opening posts only.")]
    tags: list[str] | None
    body_source: str
    body_html: str
    note: str
    editor: AuthorSummary
    created_at: Instant


class RevisionList(Listing):
    """Every saved version of a post, oldest first."""

    items: list[Revision]


class VoteResult(Shape):
    """A post's score after a vote."""

    score: int
    voted: bool


class MergedThread(Shape):
    """Where a merged thread went."""

    merged_into: Annotated[int, Meta(description="The thread this one was merged into.")]
    url: Annotated[str, Meta(description="That thread in the API.", extra_json_schema={"format": "uri"})]


class Category(Shape):
    """A category of threads."""

    slug: str
    name: str
    description: str
    position: int
    visibility: Annotated[
        str, Meta(description="all, staff, or tiers:NAME[,NAME...] (e.g. tiers:gold,silver).")
    ]
    thread_count: Annotated[int, Meta(description="Threads in it (not deleted).")]


class CategoryList(Listing):
    """Every category the caller may see, in order (one page)."""

    items: list[Category]


# --- requests --------------------------------------------------------------------------------------

Title = text("The title must be text.", minLength=TITLE_MIN, maxLength=TITLE_MAX)
BodyText = text("The text must be text.", "Markdown.", maxLength=BODY_MAX)
Tags = Annotated[
    Annotated[
        list[Annotated[str, Meta(extra_json_schema={"maxLength": TAG_MAX_LEN})]],
        Meta(extra_json_schema={"maxItems": TAGS_MAX}),
    ]
    | str,
    Meta(
        description="Lower-cased and de-duplicated; letters, digits, + # . - (a list, or one text "
        "with the tags separated by commas or spaces).",
        extra={"invalid": "Tags must be a list of words."},
    ),
]
Reason = text("The reason must be text.", "Recorded in the audit log.", maxLength=REASON_MAX)


class NewThread(Body):
    """A question or a discussion to start."""

    required = ("category", "title", "body")
    category: text("Choose a category.", "Slug of a category the caller may see.") | UnsetType = UNSET
    kind: choice(ThreadKind.ALL, default="question") | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    body: BodyText | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET
    private: flag(
        "private",
        "Partners only: ask privately, so that only your organisation and staff see the thread "
        "(default false).",
        invalid="Private is true or false.",
    ) | UnsetType = UNSET  # fmt: skip
    expert: text(
        "Choose an expert from the experts directory.",
        "Questions only: the handle of an expert to ask first (GET /experts lists them).",
    ) | UnsetType = UNSET  # fmt: skip


class NewPost(Body):
    """An answer or a reply."""

    required = ("body",)
    body: BodyText | UnsetType = UNSET


class PostEdit(Body):
    """Changes to a post: fields left out (and a null title or tags) stay as they are."""

    body: text("The text must be text.", "The new Markdown text.", maxLength=BODY_MAX) | UnsetType = UNSET
    title: text("The title must be text.", "Opening posts only: the thread's new title.",
                minLength=TITLE_MIN, maxLength=TITLE_MAX) | UnsetType = UNSET  # fmt: skip
    tags: Annotated[Tags, Meta(description="Opening posts only: the thread's new tags.")] | UnsetType = UNSET
    note: text("The edit note must be text.", "Why it was edited.", maxLength=EDIT_NOTE_MAX) | UnsetType = (
        UNSET
    )


class NewCategory(Body):
    """A category to create."""

    required = ("name",)
    name: text("The name must be text.", maxLength=NAME_MAX) | UnsetType = UNSET
    slug: text("The slug must be text.", "Default: made from the name.") | UnsetType = UNSET
    description: text("The description must be text.", maxLength=DESCRIPTION_MAX) | UnsetType = UNSET
    visibility: text(
        "Visibility is all, staff, or tiers:NAME[,NAME...].", "all, staff, or tiers:NAME[,NAME...].",
        default="all",
    ) | UnsetType = UNSET  # fmt: skip


class ThreadStatusChange(Body):
    """Close or reopen a thread."""

    required = ("status",)
    status: choice(("open", "closed")) | UnsetType = UNSET
    reason: Reason | UnsetType = UNSET


class ThreadLockChange(Body):
    """Lock or unlock a thread."""

    required = ("locked",)
    locked: flag("locked") | UnsetType = UNSET
    reason: text("The reason must be text.", "Required to lock.", maxLength=REASON_MAX) | UnsetType = UNSET


class ThreadPinChange(Body):
    """Pin or unpin a thread."""

    required = ("pinned",)
    pinned: flag("pinned") | UnsetType = UNSET
    reason: Reason | UnsetType = UNSET


class ThreadMove(Body):
    """Move a thread to another category."""

    required = ("category",)
    category: text("Choose a category.", "The new category's slug.") | UnsetType = UNSET
    reason: Reason | UnsetType = UNSET


OtherThread = "Give the other thread's number (or its address, /t/123)."


class ThreadMerge(Body):
    """Merge a thread into another."""

    required = ("into", "reason")
    into: Annotated[
        int | str,
        Meta(description="The thread to merge into: its id, or its address (/t/123).",
             extra={"invalid": OtherThread}),
    ] | UnsetType = UNSET  # fmt: skip
    reason: text("The reason must be text.", "Required.", maxLength=REASON_MAX) | UnsetType = UNSET
    # Only true confirms; any other value is read as not confirming (as it always was).
    confirm_wider: Annotated[
        bool,
        Meta(description="The target's category is seen by more people than this thread's and its posts hold "
             "nothing partner-confidential. Without it such a merge answers 422."),
    ] | UnsetType = UNSET  # fmt: skip


class ThreadDuplicate(Body):
    """Mark a thread a duplicate of another, or take the mark back."""

    required = ("of",)
    null_is_a_value = ("of",)
    of: Annotated[
        int | str | None,
        Meta(description="The original thread (id or address); null takes the mark back and reopens.",
             extra={"invalid": OtherThread}),
    ] | UnsetType = UNSET  # fmt: skip
    reason: Reason | UnsetType = UNSET


# --- building them ---------------------------------------------------------------------------------


def thread_summary(settings: Settings, row: dict[str, Any]) -> ThreadSummary:
    """A row of ``lists.list_threads`` / ``lists.get_thread_summary``."""
    return ThreadSummary(
        id=row["id"], title=row["title"], kind=row["kind"], status=row["status"], pinned=bool(row["pinned"]),
        locked=bool(row.get("locked", False)), duplicate_of_id=row.get("duplicate_of_id"),
        tags=list(row["tag_names"] or []),
        category=CategoryRef(slug=row["category_slug"], name=row["category_name"]),
        author=AuthorSummary(handle=row["author_handle"], display_name=row["author_name"]),
        reply_count=row["reply_count"], view_count=row["view_count"], score=row["score"],
        accepted_post_id=row["accepted_post_id"], is_solved=row["accepted_post_id"] is not None,
        is_private=row.get("private_org_id") is not None,
        created_at=utc(row["created_at"]), last_activity_at=utc(row["last_activity_at"]),
        url=thread_url(settings, row["id"]),
    )  # fmt: skip


def post(pv: PostView, thread_id: int) -> Post:
    return Post(
        id=pv.id, thread_id=thread_id, is_opening=pv.is_opening,
        author=PostAuthor(handle=pv.author_handle, display_name=pv.author_name, organisation=pv.author_org,
                          role=pv.author_role),
        body_html=pv.body_html, body_source=pv.body_source, score=pv.score, is_accepted=pv.is_accepted,
        state=pv.state, created_at=utc(pv.created_at), edited_at=utc(pv.edited_at),
        revision_count=pv.revision_count, voted=pv.voted, can_edit=pv.can_edit, can_delete=pv.can_delete,
        can_vote=pv.can_vote, can_accept=pv.can_accept, article_id=pv.article_id,
        held_reason=pv.held_reason,
    )  # fmt: skip


def thread_detail(settings: Settings, view: ThreadView, next_url: str | None) -> Thread:
    t, opening = view.thread, view.question
    return Thread(
        id=t.id, title=t.title, kind=t.kind, status=t.status, pinned=bool(t.pinned), locked=bool(t.locked),
        duplicate_of_id=t.duplicate_of_id, tags=list(t.tag_names or []),
        category=CategoryRef(slug=t.category.slug, name=t.category.name),
        author=AuthorSummary(handle=opening.author_handle, display_name=opening.author_name),
        reply_count=t.reply_count, view_count=t.view_count, score=t.score,
        accepted_post_id=t.accepted_post_id, is_solved=t.accepted_post_id is not None,
        is_private=t.private_org_id is not None,
        created_at=utc(t.created_at), last_activity_at=utc(t.last_activity_at),
        url=thread_url(settings, t.id), can_reply=view.can_reply, can_accept=view.can_accept,
        opening_post=post(opening, t.id), posts=[post(pv, t.id) for pv in view.posts],
        page=view.page, pages=view.pages, total_posts=view.total_replies, next=next_url,
    )  # fmt: skip


def revision(row: dict[str, Any]) -> Revision:
    return Revision(
        number=row["number"], title=row["title"], tags=row["tag_names"], body_source=row["body_source"],
        body_html=row["body_html"], note=row["note"],
        editor=AuthorSummary(handle=row["editor_handle"], display_name=row["editor_name"]),
        created_at=utc(row["created_at"]),
    )  # fmt: skip


def category(cat: CategoryModel, thread_count: int) -> Category:
    return Category(
        slug=cat.slug, name=cat.name, description=cat.description, position=cat.position,
        visibility=visibility_label(cat), thread_count=thread_count,
    )  # fmt: skip


def categories(summaries: Iterable[CategorySummary]) -> list[Category]:
    return [category(s.category, s.thread_count) for s in summaries]

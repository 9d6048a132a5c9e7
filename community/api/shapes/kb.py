"""The knowledge base: articles, their versions and comparisons, ratings, products."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, UnsetType, field

from community.api.shapes import (
    AuthorSummary,
    Body,
    CategoryRef,
    Instant,
    Listing,
    Shape,
    Url,
    choice,
    flag,
    text,
    thread_url,
    utc,
)
from community.api.shapes.forum import Tags, Title
from community.kb import articles, feedback, products
from community.kb.reading import ArticleView, Comparison, DiffRow
from community.models import ArticleState
from community.settings import Settings
from community.validation import BODY_MAX

ArticleStateName = Annotated[str, Meta(extra_json_schema={"enum": list(ArticleState.ALL)})]
StaffOnly = Annotated[int | None, Meta(description="Staff only (null for others).")]
CURATORS = "Experts, moderators and administrators (403 for others)."


class ArticleSummary(Shape):
    """An article as lists show it."""

    id: int
    title: str
    summary: str
    category: CategoryRef
    tags: list[str]
    state: ArticleStateName
    needs_review: bool
    helpful_percent: StaffOnly
    published_at: Instant | None
    updated_at: Instant
    url: Annotated[str, Meta(description="The article's page (HTML).", extra_json_schema={"format": "uri"})]


class ArticleList(Listing):
    """One page of articles."""

    items: list[ArticleSummary]


class ArticleProduct(Shape):
    """A product version the article applies to."""

    id: int
    product: str
    version: str
    superseded: bool


class SourceThread(Shape):
    """The thread the answer came from, when the caller may see it."""

    id: int
    title: str
    post_id: int | None
    url: str


class RelatedArticle(Shape):
    """An article on a similar subject."""

    id: int
    title: str


class Article(Shape):
    """An article as the caller sees it."""

    id: int
    title: str
    summary: str
    body_html: Annotated[str, Meta(description="Sanitised HTML.")]
    body_source: Annotated[str, Meta(description="The Markdown source.")]
    category: CategoryRef
    tags: list[str]
    state: ArticleStateName
    needs_review: bool
    needs_review_reason: str
    products: list[ArticleProduct]
    answer_author: AuthorSummary | None
    curator: AuthorSummary
    source_thread: SourceThread | None
    version_count: int
    my_rating: Annotated[bool | None, Meta(description="The caller's rating, if any.")]
    helpful_percent: StaffOnly
    view_count: StaffOnly
    related: list[RelatedArticle]
    can_curate: bool
    created_at: Instant
    updated_at: Instant
    published_at: Instant | None
    url: Url


class ArticleVersion(Shape):
    """One saved version of an article."""

    number: int
    title: str
    summary: str
    body_source: str
    body_html: str
    category: CategoryRef
    tags: list[str]
    product_version_ids: list[int]
    note: str
    editor: AuthorSummary
    created_at: Instant


class ArticleVersionList(Listing):
    """Every version of an article, newest first (one page)."""

    items: list[ArticleVersion]


class DiffLine(Shape):
    """One line of a side-by-side comparison."""

    kind: Annotated[str, Meta(extra_json_schema={"enum": ["equal", "changed", "removed", "added"]})]
    left_no: int | None
    left: str
    right_no: int | None
    right: str


class ArticleComparison(Shape):
    """Two versions side by side."""

    from_: int = field(name="from")
    to: int
    changed: Annotated[int, Meta(description="Lines that differ.")]
    meta: Annotated[list[DiffLine], Meta(description="Title, summary, category, tags.")]
    body: Annotated[list[DiffLine], Meta(description="The Markdown, line by line.")]


class ProductVersion(Shape):
    """A version of a product."""

    id: int
    product_id: int
    name: str
    superseded: bool
    superseded_at: Instant | None


class Product(Shape):
    """A product articles apply to, with its versions."""

    id: int
    name: str
    versions: list[ProductVersion]


class ProductList(Listing):
    """Every product (one page)."""

    items: list[Product]


class SupersedeResult(Shape):
    """The version, and how many articles went to review."""

    version: ProductVersion
    articles_sent_to_review: int


# --- requests --------------------------------------------------------------------------------------

Products = Annotated[
    list[int | str],
    Meta(description="Product version ids it applies to (digits as text are read too).",
         extra={"invalid": "Products must be a list of product version ids."}),
]  # fmt: skip
# Only true confirms; any other value is read as not confirming (as it always was).
ConfirmWider = Annotated[
    bool,
    Meta(description="Publish to a category seen by more people than the source thread's (the text must "
         "hold nothing partner-confidential). Without it such a category answers 422."),
]  # fmt: skip


class ArticleFields(Body):
    """What an article is made of, as promoting an answer and editing take it."""

    title: Title | UnsetType = UNSET
    summary: text("The summary must be text.", "One or two sentences for lists.",
                  maxLength=articles.SUMMARY_MAX) | UnsetType = UNSET  # fmt: skip
    body: text("The text must be text.", "Markdown; sanitised when saved.",
               maxLength=BODY_MAX) | UnsetType = UNSET  # fmt: skip
    tags: Tags | UnsetType = UNSET
    category: text("Choose a category.", "A category slug: its readers read the article.") | UnsetType = UNSET
    products: Products | UnsetType = UNSET
    note: text("The note must be text.", "What changed (the version history).",
               maxLength=articles.NOTE_MAX) | UnsetType = UNSET  # fmt: skip
    confirm_wider: ConfirmWider | UnsetType = UNSET


class NewArticle(ArticleFields):
    """Everything is optional: title, body, tags and category default from the thread."""

    state: choice((ArticleState.DRAFT, ArticleState.PUBLISHED), default="published") | UnsetType = UNSET


class ArticleEdit(ArticleFields):
    """Changes to an article (a new version): fields left out stay as they are."""

    base_version: Annotated[
        int | str,
        Meta(description="The version you started from: 409 if someone saved another since (digits as text "
             "are read too; empty or absent: the current one).",
             extra={"invalid": "The version you started from is a whole number."}),
    ] | UnsetType = UNSET  # fmt: skip


class RestoreVersion(Body):
    """Why an older version comes back."""

    note: text("The note must be text.", maxLength=articles.NOTE_MAX) | UnsetType = UNSET


class ArticleStateChange(Body):
    """Publish, archive or return to draft."""

    required = ("state",)
    state: choice(ArticleState.ALL) | UnsetType = UNSET


class ReviewRequest(Body):
    """What needs review."""

    required = ("reason",)
    reason: text("The reason must be text.", maxLength=feedback.REVIEW_REASON_MAX) | UnsetType = UNSET


class Rating(Body):
    """Whether the article helped."""

    required = ("helpful",)
    helpful: Annotated[
        bool | None,
        Meta(description="null takes it back.",
             extra={"invalid": "Say whether it helped (true), did not help (false), or null to clear."}),
    ] | UnsetType = UNSET  # fmt: skip


class NewProduct(Body):
    """A product to add."""

    required = ("name",)
    name: text("The product name must be text.", maxLength=products.PRODUCT_NAME_MAX) | UnsetType = UNSET


class NewProductVersion(Body):
    """A version to add to a product."""

    required = ("name",)
    name: text("The version name must be text.", maxLength=products.VERSION_NAME_MAX) | UnsetType = UNSET


class ProductVersionChange(Body):
    """Superseded, or current again."""

    required = ("superseded",)
    superseded: flag("superseded", invalid="Say true (superseded) or false (current).") | UnsetType = UNSET


# --- building them ---------------------------------------------------------------------------------


def _person(row: dict[str, Any] | None) -> AuthorSummary | None:
    return AuthorSummary(handle=row["handle"], display_name=row["display_name"]) if row else None


def article_url(settings: Settings, article_id: int) -> str:
    return f"{settings.base_url}{articles.article_url(article_id)}"


def article_summary(settings: Settings, row: dict[str, Any]) -> ArticleSummary:
    return ArticleSummary(
        id=row["id"], title=row["title"], summary=row["summary"],
        category=CategoryRef(slug=row["category_slug"], name=row["category_name"]),
        tags=list(row["tag_names"] or []), state=row["state"], needs_review=row["needs_review"],
        helpful_percent=row["helpful_percent"], published_at=utc(row["published_at"]),
        updated_at=utc(row["updated_at"]), url=article_url(settings, row["id"]),
    )  # fmt: skip


def article(settings: Settings, view: ArticleView) -> Article:
    a, source = view.article, view.source_thread
    return Article(
        id=a.id, title=a.title, summary=a.summary, body_html=a.body_html, body_source=a.body_source,
        category=CategoryRef(slug=view.category.slug, name=view.category.name),
        tags=list(a.tag_names or []), state=a.state, needs_review=a.needs_review,
        needs_review_reason=a.needs_review_reason,
        products=[
            ArticleProduct(id=p["version_id"], product=p["product"], version=p["version"],
                           superseded=p["superseded_at"] is not None)
            for p in view.products
        ],
        answer_author=_person(view.answer_author), curator=_person(view.curator),  # type: ignore[arg-type]
        source_thread=SourceThread(id=source["id"], title=source["title"], post_id=source["post_id"],
                                   url=thread_url(settings, source["id"])) if source else None,
        version_count=a.version_count, my_rating=view.my_rating,
        helpful_percent=view.helpful_percent if view.can_curate else None,
        view_count=a.view_count if view.can_curate else None,
        related=[RelatedArticle(id=r["id"], title=r["title"]) for r in view.related],
        can_curate=view.can_curate, created_at=utc(a.created_at), updated_at=utc(a.updated_at),
        published_at=utc(a.published_at), url=article_url(settings, a.id),
    )  # fmt: skip


def version(row: dict[str, Any]) -> ArticleVersion:
    return ArticleVersion(
        number=row["number"], title=row["title"], summary=row["summary"], body_source=row["body_source"],
        body_html=row["body_html"],
        category=CategoryRef(slug=row["category"]["slug"], name=row["category"]["name"]),
        tags=list(row["tag_names"] or []), product_version_ids=list(row["product_version_ids"] or []),
        note=row["note"], editor=AuthorSummary(handle=row["editor_handle"], display_name=row["editor_name"]),
        created_at=utc(row["created_at"]),
    )  # fmt: skip


def _diff(rows: list[DiffRow]) -> list[DiffLine]:
    return [
        DiffLine(kind=r.kind, left_no=r.left_no, left=r.left, right_no=r.right_no, right=r.right)
        for r in rows
    ]


def comparison(c: Comparison) -> ArticleComparison:
    return ArticleComparison(
        from_=c.old["number"], to=c.new["number"], changed=c.changed, meta=_diff(c.meta), body=_diff(c.body)
    )


def product_version(row: Any) -> ProductVersion:
    """A version as a dict (``products.readable_products``) or a ``ProductVersion`` model."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    return ProductVersion(
        id=get("id"), product_id=get("product_id"), name=get("name"),
        superseded=get("superseded_at") is not None, superseded_at=utc(get("superseded_at")),
    )  # fmt: skip


def product(row: dict[str, Any]) -> Product:
    return Product(id=row["id"], name=row["name"], versions=[product_version(v) for v in row["versions"]])

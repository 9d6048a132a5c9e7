"""Organisations and categories: the structure admins manage."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count

from community import policy, validation
from community.actor import Actor
from community.errors import Forbidden, Invalid, NotFound
from community.events import AccessChanged, publish
from community.models import Category, Organisation, OrgKind, User, Visibility
from community.settings import Settings
from community.visibility import visible_threads

POSITION_MAX = 1_000_000


def require_admin(actor: Actor | None) -> None:
    """403 for anyone but an administrator (None: the operator's command line)."""
    if actor is not None and not policy.can_manage_site(actor):
        raise Forbidden("Only administrators can do this.")


# --- organisations --------------------------------------------------------------------------


async def create_organisation(
    settings: Settings, actor: Actor | None, *, name: object, tier: object = None, description: object = ""
) -> Organisation:
    require_admin(actor)
    fields: dict[str, str] = {}
    clean_name = validation.short_text(
        name, fields, "name", "The name", required=True, max_len=validation.ORG_NAME_MAX
    )
    tier_value = tier or settings.partner_tiers[0]
    tier_value = validation.choice(tier_value, settings.partner_tiers, fields, "tier")
    desc = validation.short_text(
        description,
        fields,
        "description",
        "The description",
        required=False,
        max_len=validation.DESCRIPTION_MAX,
    )
    slug = validation.slugify(clean_name)
    if not fields and not slug:
        fields["name"] = "The name needs at least one letter or digit."
    if not fields and await Organisation.filter(slug=slug).exists():
        fields["name"] = "An organisation with this name already exists."
    validation.raise_if(fields)
    try:
        return await Organisation.create(
            name=clean_name, slug=slug, kind=OrgKind.PARTNER, tier=tier_value, description=desc
        )
    except IntegrityError:  # the same name submitted twice at once
        raise Invalid({"name": "An organisation with this name already exists."}) from None


async def get_organisation(actor: Actor, slug: str) -> Organisation:
    org = await Organisation.filter(slug=slug).first() if validation.can_name_something(slug) else None
    if org is None:
        raise NotFound("No such organisation.")
    if not policy.can_see_org_members(actor, org.id):
        raise Forbidden("Only members of this organisation and staff can see its members.")
    return org


async def own_organisation(actor: Actor) -> Organisation:
    """The actor's organisation (the header links to it; the actor snapshot holds only its id)."""
    return await Organisation.get(id=actor.organisation_id)


async def find_organisation(name_or_slug: str) -> Organisation | None:
    if not validation.can_name_something(name_or_slug):
        return None
    return (
        await Organisation.filter(name=name_or_slug).first()
        or await Organisation.filter(slug=validation.slugify(name_or_slug)).first()
    )


async def list_organisations(actor: Actor) -> list[Organisation]:
    if not actor.is_staff:
        raise Forbidden("Only staff can list all organisations.")
    return await Organisation.all().annotate(member_count=Count("members")).order_by("kind", "name")


async def organisation_members(actor: Actor, org: Organisation) -> list[User]:
    if not policy.can_see_org_members(actor, org.id):
        raise Forbidden()
    return await User.filter(organisation_id=org.id).order_by("display_name")


# --- categories -----------------------------------------------------------------------------


def parse_visibility(settings: Settings, raw: object, fields: dict[str, str]) -> tuple[str, list[str]]:
    """``all`` | ``staff`` | ``tiers:gold,silver``."""
    text = (raw if isinstance(raw, str) else "").strip().lower()
    if text in (Visibility.ALL, Visibility.STAFF):
        return text, []
    if text.startswith("tiers:"):
        tiers = [t.strip() for t in text[6:].split(",") if t.strip()]
        unknown = [t for t in tiers if t not in settings.partner_tiers]
        if not tiers or unknown:
            fields["visibility"] = (
                f"Name one or more tiers from: {', '.join(settings.partner_tiers)} (e.g. tiers:gold)."
            )
        return Visibility.TIERS, tiers
    fields["visibility"] = "Visibility is all, staff, or tiers:NAME[,NAME...]."
    return Visibility.ALL, []


def visibility_label(category: Category) -> str:
    if category.visibility == Visibility.TIERS:
        return "tiers:" + ",".join(category.tiers)
    return category.visibility


def _category_fields(
    settings: Settings, name: object, description: object, visibility: object, fields: dict[str, str]
) -> tuple[str, str, str, list[str]]:
    """Name, description and audience as a create or edit form sends them (errors into ``fields``)."""
    clean_name = validation.short_text(
        name, fields, "name", "The name", required=True, max_len=validation.NAME_MAX
    )
    desc = validation.short_text(
        description, fields, "description", "The description", required=False,
        max_len=validation.DESCRIPTION_MAX,
    )  # fmt: skip
    vis, tiers = parse_visibility(settings, visibility, fields)
    return clean_name, desc, vis, tiers


async def create_category(
    settings: Settings,
    actor: Actor | None,
    *,
    name: object,
    slug: object = None,
    description: object = "",
    visibility: object = "all",
    position: int | None = None,
) -> Category:
    require_admin(actor)
    fields: dict[str, str] = {}
    clean_name, desc, vis, tiers = _category_fields(settings, name, description, visibility, fields)
    clean_slug = (
        (slug if isinstance(slug, str) and slug.strip() else validation.slugify(clean_name)).strip().lower()
    )
    if slug is not None and not isinstance(slug, str):
        fields["slug"] = "The slug must be text."
    elif "name" not in fields and not validation.SLUG_RE.match(clean_slug):
        fields["slug"] = "The slug uses lowercase letters, digits and dashes (at most 60)."
    if not fields and await Category.filter(slug=clean_slug).exists():
        fields["slug"] = "A category with this slug already exists."
    validation.raise_if(fields)
    if position is None:
        position = await Category.all().count()
    try:
        return await Category.create(
            name=clean_name, slug=clean_slug, description=desc, visibility=vis, tiers=tiers, position=position
        )
    except IntegrityError:  # the same slug submitted twice at once
        raise Invalid({"slug": "A category with this slug already exists."}) from None


async def update_category(
    settings: Settings,
    actor: Actor | None,
    category: Category,
    *,
    name: object,
    description: object,
    visibility: object,
    position: object,
) -> Category:
    require_admin(actor)
    fields: dict[str, str] = {}
    clean_name, desc, vis, tiers = _category_fields(settings, name, description, visibility, fields)
    try:
        pos = int(position) if position not in (None, "") else category.position  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pos = None
    if pos is None or abs(pos) > POSITION_MAX:  # the column is a 32-bit integer
        fields["position"] = f"The position is a whole number between -{POSITION_MAX:,} and {POSITION_MAX:,}."
        pos = category.position
    validation.raise_if(fields)
    category.name, category.description, category.visibility, category.tiers, category.position = (
        clean_name, desc, vis, tiers, pos,
    )  # fmt: skip
    await category.save()
    await publish(AccessChanged(category_id=category.id))
    return category


@dataclass(frozen=True)
class CategorySummary:
    category: Category
    thread_count: int


async def list_categories(actor: Actor) -> list[CategorySummary]:
    """Categories the actor may see, with their (visible) thread counts."""
    cats = [c for c in await Category.all().order_by("position", "name") if policy.can_see_category(actor, c)]
    counts = dict(
        await visible_threads(actor, [c.id for c in cats])
        .annotate(n=Count("id"))
        .group_by("category_id")
        .values_list("category_id", "n")
    )
    return [CategorySummary(c, counts.get(c.id, 0)) for c in cats]


async def get_category(actor: Actor, slug: str) -> Category:
    """404 for a category the actor may not see: no trace of its existence."""
    category = await Category.filter(slug=slug).first() if validation.can_name_something(slug) else None
    if category is None or not policy.can_see_category(actor, category):
        raise NotFound("No such category.")
    return category


async def get_category_any(slug: str) -> Category:
    category = await Category.filter(slug=slug).first() if validation.can_name_something(slug) else None
    if category is None:
        raise NotFound(f"No category with slug “{slug}”.")
    return category

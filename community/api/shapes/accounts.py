"""Members, organisations and invitations."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from community.api.shapes import Body, Instant, Role, Shape, choice, flag, text, utc
from community.models import Organisation as OrganisationModel
from community.models import Role as Roles
from community.models import User
from community.validation import TAGS_MAX

OrgKind = Annotated[str, Meta(extra_json_schema={"enum": ["company", "partner", "imported"]})]
Tier = str | None


class MyOrganisation(Shape):
    """The caller's organisation."""

    id: int
    name: str
    slug: str
    tier: Tier
    kind: OrgKind


class Me(Shape):
    """The signed-in member."""

    id: int
    handle: str
    display_name: str
    role: Role
    organisation: MyOrganisation
    is_org_admin: bool
    bio: str
    expertise_tags: Annotated[list[str], Meta(extra_json_schema={"maxItems": TAGS_MAX})]
    post_count: int
    accepted_count: int
    csrf_token: Annotated[
        str,
        Meta(
            description="Only for callers signed in with the session cookie: send it as X-CSRF-Token on "
            "every POST, PATCH and DELETE."
        ),
    ] | UnsetType = UNSET  # fmt: skip


class ProfileOrganisation(Shape):
    """The organisation a member belongs to, as anyone may see it."""

    name: str
    slug: str
    kind: OrgKind


class Profile(Shape):
    """What any signed-in member may see of another: no e-mail, no partner tier."""

    id: int
    handle: str
    display_name: str
    role: Role
    organisation: ProfileOrganisation
    bio: str
    expertise_tags: list[str]
    post_count: int
    accepted_count: Annotated[int, Meta(description="Answers of theirs that were accepted.")]
    joined_at: Instant


class Member(Shape):
    """A member of an organisation."""

    handle: str
    display_name: str
    role: Role
    is_org_admin: bool
    post_count: int
    accepted_count: int


class Organisation(Shape):
    """An organisation and its members."""

    id: int
    name: str
    slug: str
    kind: OrgKind
    tier: Tier
    description: str
    member_count: int
    members: list[Member]


class Invitation(Shape):
    """A single-use invitation into an organisation."""

    url: Annotated[str, Meta(description="Single-use sign-up link.", extra_json_schema={"format": "uri"})]
    email: str
    role: Role
    org_admin: Annotated[bool, Meta(description="The account made from it is the organisation's admin.")]
    organisation: Annotated[str, Meta(description="The organisation's slug.")]
    expires_at: Instant


class NewInvitation(Body):
    """Whom to invite, and as what."""

    required = ("email",)
    email: text("The e-mail address must be text.", format="email") | UnsetType = UNSET
    role: choice(Roles.ALL, default="partner") | UnsetType = UNSET
    org_admin: (
        flag("org_admin", "Make them the organisation's admin (administrators only; partners only).")
        | UnsetType
    ) = UNSET


def me(user: User, csrf_token: str | None) -> Me:
    """The signed-in person; ``user.organisation`` must be fetched."""
    org: OrganisationModel = user.organisation
    return Me(
        id=user.id, handle=user.handle, display_name=user.display_name, role=user.role,
        organisation=MyOrganisation(id=org.id, name=org.name, slug=org.slug, tier=org.tier, kind=org.kind),
        is_org_admin=user.is_org_admin, bio=user.bio, expertise_tags=list(user.expertise_tags or []),
        post_count=user.post_count, accepted_count=user.accepted_count,
        csrf_token=UNSET if csrf_token is None else csrf_token,
    )  # fmt: skip


def profile(user: User) -> Profile:
    org: OrganisationModel = user.organisation
    return Profile(
        id=user.id, handle=user.handle, display_name=user.display_name, role=user.role,
        organisation=ProfileOrganisation(name=org.name, slug=org.slug, kind=org.kind), bio=user.bio,
        expertise_tags=list(user.expertise_tags or []), post_count=user.post_count,
        accepted_count=user.accepted_count, joined_at=utc(user.created_at),
    )  # fmt: skip


def organisation(org: OrganisationModel, members: list[User]) -> Organisation:
    return Organisation(
        id=org.id, name=org.name, slug=org.slug, kind=org.kind, tier=org.tier, description=org.description,
        member_count=len(members),
        members=[
            Member(handle=m.handle, display_name=m.display_name, role=m.role, is_org_admin=m.is_org_admin,
                   post_count=m.post_count, accepted_count=m.accepted_count)
            for m in members
        ],
    )  # fmt: skip

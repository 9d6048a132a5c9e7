"""People: creating accounts, profiles, handles and roles."""

from __future__ import annotations

from tortoise.expressions import Subquery

from community import policy, validation
from community.accounts.passwords import hash_password, read_password
from community.actor import Actor
from community.errors import Forbidden, NotFound
from community.events import AccessChanged, publish
from community.models import (
    Category,
    Organisation,
    OrgKind,
    Post,
    PostState,
    Role,
    Thread,
    User,
)
from community.settings import Settings
from community.visibility import others_private_exist, without_others_private


async def unique_handle(display_name: str, email: str) -> str:
    base = validation.slugify(display_name, 30) or validation.slugify(email.split("@")[0], 30) or "member"
    handle, n = base, 1
    while await User.filter(handle=handle).exists():
        n += 1
        handle = f"{base}-{n}"
    return handle


async def company_org(settings: Settings) -> Organisation:
    org = await Organisation.filter(kind=OrgKind.COMPANY).first()
    if org is None:
        org = await Organisation.create(
            name=settings.company_name, slug=validation.slugify(settings.company_name), kind=OrgKind.COMPANY
        )
    return org


async def create_user(
    settings: Settings,
    *,
    email: str,
    display_name: str,
    role: str,
    organisation: Organisation | None = None,
    password: str | None = None,
    is_org_admin: bool = False,
    bio: str = "",
    expertise_tags: list[str] | None = None,
) -> User:
    """Create an account (CLI, invitations, demo). Staff roles belong to the company itself."""
    fields: dict[str, str] = {}
    email = validation.email(email, fields)
    display_name = validation.short_text(
        display_name, fields, "display_name", "The name", required=True, max_len=validation.NAME_MAX
    )
    role = validation.choice(role, Role.ALL, fields, "role")
    if password is not None:
        read_password(password, fields)
    if role in Role.STAFF:
        if organisation is not None and organisation.kind != OrgKind.COMPANY:
            fields["organisation"] = "Experts, moderators and admins belong to the company itself."
        organisation = organisation or await company_org(settings)
    elif role == Role.PARTNER and (organisation is None or organisation.kind == OrgKind.COMPANY):
        fields["organisation"] = "A partner user belongs to a partner organisation."
    if not fields and await User.filter(email=email).exists():
        fields["email"] = "An account with this e-mail address already exists."
    validation.raise_if(fields)
    assert organisation is not None
    return await User.create(
        email=email,
        handle=await unique_handle(display_name, email),
        display_name=display_name,
        role=role,
        organisation=organisation,
        is_org_admin=is_org_admin,
        password_hash=await hash_password(password) if password else None,
        bio=bio,
        expertise_tags=expertise_tags or [],
    )


async def get_user_by_email(email: str) -> User:
    """For the operator's command line, which names people by e-mail address."""
    user = await User.filter(email=(email or "").strip().lower()).select_related("organisation").first()
    if user is None:
        raise NotFound(f"No account has the e-mail address {email!r}.")
    return user


async def update_profile(actor: Actor, *, display_name: object, bio: object, expertise_tags: object) -> User:
    if (refusal := policy.posting_refusal(actor)) is not None:  # the bio and name are public text
        raise Forbidden(refusal)
    fields: dict[str, str] = {}
    name = validation.short_text(
        display_name, fields, "display_name", "The name", required=True, max_len=validation.NAME_MAX
    )
    bio_text = validation._text(fields, "bio", bio, "The bio").strip()
    if len(bio_text) > validation.BIO_MAX:
        fields["bio"] = f"The bio can have at most {validation.BIO_MAX:,} characters."
    tags = validation.tags(expertise_tags, fields, "expertise_tags") if actor.is_staff else []
    validation.raise_if(fields)
    user = await User.get(id=actor.id)
    user.display_name, user.bio, user.expertise_tags = name, bio_text, tags
    await user.save(update_fields=["display_name", "bio", "expertise_tags"])
    return user


async def set_avatar(actor: Actor, key: str | None) -> None:
    """The member's picture (a key of ``community.images``), or None for their initials. A picture
    is public like the name beside it: a silenced member keeps theirs but may not change it."""
    if (refusal := policy.posting_refusal(actor)) is not None and key is not None:
        raise Forbidden(refusal)
    await User.filter(id=actor.id).update(avatar=key)


async def get_profile(actor: Actor, handle: str) -> User:
    """The member, with ``post_count`` and ``accepted_count`` as the viewer may see them.

    The stored counters include posts in every category; shown as they are to someone who may
    not see all categories, they would betray that restricted threads exist."""
    user = None
    if validation.can_name_something(handle):
        user = await User.filter(handle=handle).select_related("organisation").first()
    if user is None:
        raise NotFound("No such member.")
    visible = await policy.visible_category_ids(actor)
    if await others_private_exist(actor) or len(visible) < await Category.all().count():
        # Counted again over what the viewer may see (another organisation's private questions too).
        threads = without_others_private(actor, Thread.filter(category_id__in=visible, is_deleted=False))
        user.post_count = await Post.filter(
            author_id=user.id,
            state=PostState.VISIBLE,
            thread_id__in=Subquery(threads.values("id")),
        ).count()
        user.accepted_count = await threads.filter(
            accepted_post_id__in=Subquery(Post.filter(author_id=user.id).values("id"))
        ).count()
    return user


async def set_role(
    actor: Actor | None, user: User, *, role: str | None = None, is_org_admin: bool | None = None
) -> User:
    if actor is not None and not policy.can_manage_site(actor):
        raise Forbidden()
    if role is not None:
        user.role = role
    if is_org_admin is not None:
        user.is_org_admin = is_org_admin
    await user.save()
    await publish(AccessChanged(user_id=user.id))
    return user

"""The operator's account tools: organisations, categories, people, invitations, tokens."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from community.cli.common import CommandError
from community.settings import Settings


async def create_org(settings: Settings, args: argparse.Namespace) -> int:
    from community.accounts import directory

    org = await directory.create_organisation(settings, None, name=args.name, tier=args.tier)
    print(f"Created organisation “{org.name}” (tier {org.tier}, slug {org.slug}).")
    return 0


async def create_category(settings: Settings, args: argparse.Namespace) -> int:
    from community.accounts import directory

    category = await directory.create_category(
        settings,
        None,
        name=args.name,
        slug=args.slug,
        visibility=args.visibility,
        description=args.description,
    )
    print(
        f"Created category “{category.name}” (slug {category.slug}, "
        f"visible to {directory.visibility_label(category)})."
    )
    return 0


async def _organisation(name: str) -> Any:
    from community.accounts import directory

    org = await directory.find_organisation(name)
    if org is None:
        raise CommandError(f"no organisation named {name!r} (create it with `community create-org`)")
    return org


async def create_user(settings: Settings, args: argparse.Namespace) -> int:
    from community.accounts import passwords, people

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("--password-stdin was given but standard input had no password")
    org = await _organisation(args.org) if args.org else None
    user = await people.create_user(
        settings,
        email=args.email,
        display_name=args.name,
        role=args.role,
        organisation=org,
        password=password,
        is_org_admin=args.org_admin,
    )
    print(f"Created {user.role} {user.display_name} <{user.email}> (@{user.handle}).")
    if password is None:
        token = await passwords.create_password_reset(settings, user.email)
        print("They have no password yet; they can set one at:")
        print(passwords.password_reset_url(settings, token))
    return 0


async def invite(settings: Settings, args: argparse.Namespace) -> int:
    from community.accounts import invitations

    org = await _organisation(args.org)
    invitation, token = await invitations.create_invitation(
        settings, None, email=args.email, organisation=org, role=args.role, org_admin=args.org_admin
    )
    admin = " (organisation admin)" if invitation.org_admin else ""
    print(f"Invitation for {invitation.email} to join {org.name} as {invitation.role}{admin}:")
    print(invitations.invitation_url(settings, token))
    return 0


async def create_token(settings: Settings, args: argparse.Namespace) -> int:
    from community.accounts import people, tokens

    user = await people.get_user_by_email(args.email)
    token = await tokens.create_api_token(user, args.name)
    print(
        f"API token for {user.email} (shown once; send it as `Authorization: Bearer <token>`):",
        file=sys.stderr,
    )
    print(token)
    return 0


async def reset_password(settings: Settings, args: argparse.Namespace) -> int:
    from community.accounts import passwords

    token = await passwords.create_password_reset(settings, args.email)
    print(passwords.password_reset_url(settings, token))
    return 0

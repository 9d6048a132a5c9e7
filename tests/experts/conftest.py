"""Experts beside the world's own: who knows what, for routing tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from community.accounts import people
from community.experts import profiles
from community.models import User
from tests.conftest import PASSWORD, World


@dataclass
class Experts:
    world: World
    net: User  # networking, in the general category
    net2: User  # networking too
    billing: User  # billing only
    erin: User  # the world's expert, no expertise of her own


async def make_expert(world: World, email: str, name: str, tags: str, categories: list[str]) -> User:
    user = await people.create_user(
        world.settings, email=email, display_name=name, role="expert", password=PASSWORD
    )
    actor = world.actor(await User.get(id=user.id).select_related("organisation"))
    await profiles.update_expertise(
        actor, user.handle, tags=tags, categories=categories, away_until="", stand_in=""
    )
    return await User.get(id=user.id)


@pytest.fixture
async def experts(world: World) -> Experts:
    return Experts(
        world=world,
        net=await make_expert(
            world, "nina@northwind.example", "Nina Network", "networking, vpn", ["general"]
        ),
        net2=await make_expert(world, "ned@northwind.example", "Ned Network", "networking", []),
        billing=await make_expert(world, "bill@northwind.example", "Bill Billing", "billing", []),
        erin=world.expert,
    )

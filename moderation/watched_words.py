"""Administering the rules on new posts: watched words, trying a text against them, and the
confidentiality switch per category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tortoise.transactions import in_transaction

from community import policy, validation
from community.actor import Actor
from community.errors import Forbidden, NotFound
from community.models import (
    Category,
    CategoryRules,
    Visibility,
    WatchedAction,
    WatchedWord,
)
from community.ports import ModerationGate
from moderation.audit import audit

PATTERN_MAX = 200


_WORD_VALUES = ("id", "pattern", "is_regex", "action", "category_ids", "rule_set", "enabled", "created_at")


def _require_admin(actor: Actor) -> None:
    if not policy.can_manage_site(actor):
        raise Forbidden("Only administrators can manage watched words.")


async def list_watched_words(actor: Actor) -> list[dict[str, Any]]:
    """Every watched word, newest first, with the slugs of the categories it is limited to."""
    _require_admin(actor)
    rows = await WatchedWord.all().order_by("-id").values(*_WORD_VALUES)
    slugs = dict(await Category.all().values_list("id", "slug"))
    for row in rows:
        row["categories"] = [slugs[c] for c in row["category_ids"] or [] if c in slugs]
    return rows


async def _category_ids(value: object, fields: dict[str, str]) -> list[int]:
    """Slugs as a list or comma-separated text; empty: every category."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        names = [n.strip() for n in value.split(",") if n.strip()]
    elif isinstance(value, list) and all(isinstance(n, str) for n in value):
        names = [n.strip() for n in value]
    else:
        fields["categories"] = "Categories must be a list of category slugs."
        return []
    if len(names) > 100 or not all(validation.SLUG_RE.match(n) for n in names):
        fields["categories"] = "Name categories by their slugs (e.g. general)."
        return []
    found = dict(await Category.filter(slug__in=names).values_list("slug", "id"))
    missing = [n for n in names if n not in found]
    if missing:
        fields["categories"] = f"No such category: {', '.join(missing[:5])}."
    return [found[n] for n in names if n in found]


async def add_watched_word(
    gate: ModerationGate,
    actor: Actor,
    *,
    pattern: object,
    action: object,
    is_regex: object = False,
    categories: object = None,
) -> WatchedWord:
    """A word, phrase or regular expression and what it does to new posts; applies at once here
    and within seconds on other workers."""
    _require_admin(actor)
    fields: dict[str, str] = {}
    text = validation.short_text(
        pattern, fields, "pattern", "The word or pattern", required=True, max_len=PATTERN_MAX
    )
    action_value = validation.choice(action, WatchedAction.ALL, fields, "action")
    if not isinstance(is_regex, bool):
        fields["is_regex"] = "is_regex is true or false."
    elif is_regex and "pattern" not in fields:
        try:
            re.compile(text)
        except re.error as exc:
            fields["pattern"] = f"Not a valid regular expression: {exc}."
    category_ids = await _category_ids(categories, fields)
    validation.raise_if(fields)
    async with in_transaction():
        word = await WatchedWord.create(
            pattern=text, is_regex=bool(is_regex), action=action_value, category_ids=category_ids,
            created_by_id=actor.id,
        )  # fmt: skip
        await audit(
            actor.id, "watched_word.create", "watched_word", word.id,
            after={"pattern": text, "action": action_value, "is_regex": bool(is_regex),
                   "category_ids": category_ids},
        )  # fmt: skip
    gate.invalidate()
    return word


async def remove_watched_word(gate: ModerationGate, actor: Actor, word_id: int) -> None:
    _require_admin(actor)
    word = await WatchedWord.filter(id=word_id).first()
    if word is None:
        raise NotFound("No such watched word.")
    async with in_transaction():
        await audit(
            actor.id, "watched_word.delete", "watched_word", word.id,
            before={"pattern": word.pattern, "action": word.action, "is_regex": word.is_regex,
                    "category_ids": word.category_ids},
        )  # fmt: skip
        await word.delete()
    gate.invalidate()


@dataclass(frozen=True, slots=True)
class RuleTest:
    action: str | None
    reason: str
    censored_text: str | None


async def try_watched_words(
    gate: ModerationGate, actor: Actor, *, text: object, category: object
) -> RuleTest:
    """What a sample text would trigger in a category, without posting anything."""
    _require_admin(actor)
    fields: dict[str, str] = {}
    sample = validation.body(text, fields, "text")
    cat = await _category_field(category, fields)
    validation.raise_if(fields)
    assert cat is not None
    verdict = await gate.check_post(sample, category_id=cat.id)
    return RuleTest(verdict.action, verdict.reason, verdict.censored_text)


async def _category_field(category: object, fields: dict[str, str]) -> Category | None:
    """The category a form names by slug, or a field error."""
    if not isinstance(category, str) or not validation.SLUG_RE.match(category):
        fields["category"] = "Choose a category."
        return None
    cat = await Category.filter(slug=category).first()
    if cat is None:
        fields["category"] = "Choose one of the categories listed."
    return cat


CONFIDENTIALITY_CHOICES = ("default", "on", "off")


async def category_rule_switches(actor: Actor) -> list[dict[str, Any]]:
    """Each category with its confidentiality switch: default (on where every partner can see),
    on or off."""
    _require_admin(actor)
    overrides = dict(await CategoryRules.all().values_list("category_id", "confidentiality"))
    rows = await Category.all().order_by("position", "name").values("id", "slug", "name", "visibility")
    for row in rows:
        value = overrides.get(row["id"])
        row["confidentiality"] = "default" if value is None else ("on" if value else "off")
        row["default_on"] = row["visibility"] == Visibility.ALL
    return rows


async def set_category_confidentiality(
    gate: ModerationGate, actor: Actor, *, category: object, value: object
) -> None:
    """Switch the confidentiality starter set on or off in one category, or back to the default."""
    _require_admin(actor)
    fields: dict[str, str] = {}
    choice = validation.choice(value, CONFIDENTIALITY_CHOICES, fields, "confidentiality")
    cat = await _category_field(category, fields)
    validation.raise_if(fields)
    assert cat is not None
    stored = None if choice == "default" else choice == "on"
    async with in_transaction():
        before = await CategoryRules.filter(category_id=cat.id).values_list("confidentiality", flat=True)
        await CategoryRules.filter(category_id=cat.id).delete()
        if stored is not None:
            await CategoryRules.create(category_id=cat.id, confidentiality=stored)
        await audit(
            actor.id, "category.confidentiality", "category", cat.id,
            before={"confidentiality": before[0] if before else None}, after={"confidentiality": stored},
        )  # fmt: skip
    gate.invalidate()

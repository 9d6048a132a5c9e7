"""Watched words, the per-category confidentiality switches and sanctions."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import UNSET, Meta, UnsetType

from community.api.shapes import AuthorSummary, Body, Counted, Instant, Shape, choice, flag, text, utc
from community.models import SanctionKind, WatchedAction
from community.validation import REASON_MAX
from moderation import watched_words

ActionName = Annotated[str, Meta(extra_json_schema={"enum": list(WatchedAction.ALL)})]
SanctionKindName = Annotated[str, Meta(extra_json_schema={"enum": list(SanctionKind.ALL)})]
Confidentiality = Annotated[
    str,
    Meta(description="default: on where every partner can see the category.",
         extra_json_schema={"enum": ["default", "on", "off"]}),
]  # fmt: skip


class WatchedWord(Shape):
    """A watched word, phrase or regular expression."""

    id: int
    pattern: str
    is_regex: bool
    action: ActionName
    categories: Annotated[list[str], Meta(description="Empty: every category.")]
    created_at: Instant


class WatchedWordList(Counted):
    """Every watched word, newest first."""

    items: list[WatchedWord]


class NewWatchedWord(Body):
    """A word to watch."""

    required = ("pattern", "action")
    pattern: text("The word or pattern must be text.", maxLength=watched_words.PATTERN_MAX) | UnsetType = (
        UNSET
    )
    action: choice(
        WatchedAction.ALL,
        "block: refused with a message naming it; hold: waits for approval; flag: published and queued; "
        "censor: shown masked.",
    ) | UnsetType = UNSET  # fmt: skip
    is_regex: flag("is_regex") | UnsetType = UNSET
    categories: Annotated[
        list[str] | str,
        Meta(description="Slugs; empty: everywhere.",
             extra={"invalid": "Categories must be a list of category slugs."}),
    ] | UnsetType = UNSET  # fmt: skip


class RuleTest(Body):
    """A sample text and where it would be posted."""

    required = ("text", "category")
    text: text("The text must be text.") | UnsetType = UNSET
    category: text("Choose a category.", "A category slug.") | UnsetType = UNSET


class RuleTestResult(Shape):
    """What the sample would trigger; nothing is posted."""

    action: Annotated[str | None, Meta(extra_json_schema={"enum": [*WatchedAction.ALL, None]})]
    reason: str
    censored_text: str | None


class RuleSwitch(Shape):
    """Whether the confidentiality rules apply in a category."""

    category: Annotated[str, Meta(description="The category's slug.")]
    name: str
    confidentiality: Confidentiality
    default_on: Annotated[bool, Meta(description="Whether the default means on.")]


class RuleSwitchList(Counted):
    """Every category with its switch."""

    items: list[RuleSwitch]


class RuleSwitchChange(Body):
    """Switch the rules in one category."""

    required = ("category", "confidentiality")
    category: text("Choose a category.", "A slug.") | UnsetType = UNSET
    confidentiality: (
        choice(("default", "on", "off"), "default: on where every partner can see the category.") | UnsetType
    ) = UNSET


class Sanction(Shape):
    """A warning, silence or suspension."""

    id: int
    user: AuthorSummary
    kind: SanctionKindName
    reason: str
    starts_at: Instant
    ends_at: Annotated[Instant | None, Meta(description="null: until lifted (a warning ends when given).")]
    lifted_at: Instant | None
    in_force: bool
    created_by: Annotated[str | None, Meta(description="The moderator's handle.")]


class SanctionList(Counted):
    """Newest first, at most 500."""

    items: list[Sanction]


class NewSanction(Body):
    """Warn, silence or suspend a member."""

    required = ("user", "kind", "reason")
    # Anything but a member's handle names nobody: 404, as for an unknown handle.
    user: text(None, "The member's handle.") | UnsetType = UNSET
    kind: choice(SanctionKind.ALL) | UnsetType = UNSET
    reason: text("The reason must be text.", "The member is told.", maxLength=REASON_MAX) | UnsetType = UNSET
    days: Annotated[
        int | str | None,
        Meta(description="Length of a silence or suspension in days (1 to 3650; its digits as text are read "
             "too); null, empty or absent: until lifted.",
             extra={"invalid": "Give the length in whole days (1 to 3650), or none for indefinitely."}),
    ] | UnsetType = UNSET  # fmt: skip
    review_item_id: Annotated[
        int | str | None,
        Meta(description="The review item about this member the decision comes from (its id; digits as text "
             "are read too).",
             extra={"invalid": "Not a review item."}),
    ] | UnsetType = UNSET  # fmt: skip


def watched_word(row: dict[str, Any]) -> WatchedWord:
    return WatchedWord(
        id=row["id"], pattern=row["pattern"], is_regex=row["is_regex"], action=row["action"],
        categories=row["categories"], created_at=utc(row["created_at"]),
    )  # fmt: skip


def rule_switch(row: dict[str, Any]) -> RuleSwitch:
    return RuleSwitch(
        category=row["slug"], name=row["name"], confidentiality=row["confidentiality"],
        default_on=row["default_on"],
    )  # fmt: skip


def sanction(row: dict[str, Any]) -> Sanction:
    return Sanction(
        id=row["id"], user=AuthorSummary(handle=row["user_handle"], display_name=row["user_name"]),
        kind=row["kind"], reason=row["reason"], starts_at=utc(row["starts_at"]), ends_at=utc(row["ends_at"]),
        lifted_at=utc(row["lifted_at"]), in_force=row["in_force"], created_by=row["created_by_handle"],
    )  # fmt: skip

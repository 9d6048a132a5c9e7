"""The concrete ``community.ports.ModerationGate``: flag arithmetic and the rules on new posts."""

from __future__ import annotations

from dataclasses import dataclass, field

from community.models import Category, CategoryRules, Visibility, WatchedWord
from moderation.flags import FlagRules
from moderation.rules import CompiledWords, Verdict, evaluate, rules_from_rows

_WORD_FIELDS = ("id", "pattern", "is_regex", "action", "category_ids")


@dataclass
class ModerationRules:
    flags: FlagRules = field(default_factory=FlagRules)
    _compiled: CompiledWords | None = None

    def flag_weight(self, role: str) -> int:
        return self.flags.weight(role)

    def flag_hides(self, open_weight: int) -> bool:
        return self.flags.hides(open_weight)

    async def _words(self) -> CompiledWords:
        """Compiled once per set of rows: a cheap query says whether the words changed."""
        rules = rules_from_rows(await WatchedWord.filter(enabled=True).order_by("id").values(*_WORD_FIELDS))
        if self._compiled is None or self._compiled.rules != rules:
            self._compiled = CompiledWords(rules)
        return self._compiled

    async def confidentiality_applies(self, category_id: int) -> bool:
        """On by default where every partner can see; a per-category switch overrides it."""
        override = await CategoryRules.filter(category_id=category_id).values_list(
            "confidentiality", flat=True
        )
        if override and override[0] is not None:
            return bool(override[0])
        visibility = await Category.filter(id=category_id).values_list("visibility", flat=True)
        return bool(visibility) and visibility[0] == Visibility.ALL

    async def check_post(self, text: str, *, category_id: int) -> Verdict:
        return evaluate(
            text,
            await self._words(),
            category_id,
            confidentiality=await self.confidentiality_applies(category_id),
        )

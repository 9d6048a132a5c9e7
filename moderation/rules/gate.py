"""The concrete ``community.ports.ModerationGate``: flag arithmetic and the rules on new posts."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from community.models import Category, CategoryRules, Visibility, WatchedWord
from moderation.rules.content import CompiledWords, Verdict, evaluate, rules_from_rows
from moderation.rules.flag_weights import FlagRules
from moderation.rules.limits import PostingLimits, RateWait
from moderation.rules.newcomers import NewcomerRules, NewcomerVerdict

_WORD_FIELDS = ("id", "pattern", "is_regex", "action", "category_ids")
# Rules read from the database are reused this long: a post pays no query for them, and a change
# made through another worker reaches this one within the interval (this worker's own changes call
# ``invalidate`` and apply at once).
RULES_TTL_SECONDS = 5.0


@dataclass
class ModerationRules:
    flags: FlagRules = field(default_factory=FlagRules)
    newcomers: NewcomerRules = field(default_factory=NewcomerRules)
    limits: PostingLimits = field(default_factory=PostingLimits)
    ttl: float = RULES_TTL_SECONDS
    clock: Callable[[], float] = time.monotonic
    _compiled: CompiledWords | None = None
    _categories: dict[int, bool] = field(default_factory=dict)
    _loaded_at: float = float("-inf")

    def flag_weight(self, role: str) -> int:
        return self.flags.weight(role)

    def flag_hides(self, open_weight: int) -> bool:
        return self.flags.hides(open_weight)

    def invalidate(self) -> None:
        """Watched words or category switches changed: read them again on the next check."""
        self._loaded_at = float("-inf")

    async def _refresh(self) -> None:
        if self.clock() - self._loaded_at < self.ttl and self._compiled is not None:
            return
        rules = rules_from_rows(await WatchedWord.filter(enabled=True).order_by("id").values(*_WORD_FIELDS))
        if self._compiled is None or self._compiled.rules != rules:
            self._compiled = CompiledWords(rules)
        overrides = dict(await CategoryRules.all().values_list("category_id", "confidentiality"))
        self._categories = {
            cid: overrides[cid] if overrides.get(cid) is not None else visibility == Visibility.ALL
            for cid, visibility in await Category.all().values_list("id", "visibility")
        }
        self._loaded_at = self.clock()

    async def confidentiality_applies(self, category_id: int) -> bool:
        """On by default where every partner can see; a per-category switch overrides it."""
        await self._refresh()
        if category_id not in self._categories:  # a category made since the last read
            self.invalidate()
            await self._refresh()
        return self._categories.get(category_id, False)

    async def check_post(self, text: str, *, category_id: int) -> Verdict:
        applies = await self.confidentiality_applies(category_id)
        assert self._compiled is not None
        return evaluate(text, self._compiled, category_id, confidentiality=applies)

    async def check_author(
        self, *, user_id: int, role: str, texts: Iterable[str], links: Iterable[str] = ()
    ) -> NewcomerVerdict:
        return await self.newcomers.check(user_id=user_id, role=role, texts=texts, links=links)

    async def posting_wait(self, *, user_id: int, ip: str | None) -> RateWait | None:
        return await self.limits.wait(user_id=user_id, ip=ip)

    async def count_post(self, *, user_id: int, ip: str | None) -> RateWait | None:
        return await self.limits.count(user_id=user_id, ip=ip)

"""Flag arithmetic: how much a flag weighs and when flagged content is hidden pending review.

Plain values in, plain values out, so the rule can be read (and tested) on its own; the use case
in ``moderation.flags`` stores the flags and applies the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from community.models import Role

POST_TARGET = "post"
THREAD_TARGET = "thread"


def target_key(kind: str, object_id: int) -> str:
    """The one key a flag (and an open review item) is stored under: ``post:12``."""
    return f"{kind}:{object_id}"


@dataclass(frozen=True, slots=True)
class FlagRules:
    """Weights by the flagger's role; a moderator's flag weighs the whole threshold (hides at once)."""

    threshold: int = 3
    partner_weight: int = 1
    expert_weight: int = 2

    def weight(self, role: str) -> int:
        if role in (Role.MODERATOR, Role.ADMIN):
            return self.threshold
        if role == Role.EXPERT:
            return self.expert_weight
        return self.partner_weight

    def hides(self, open_weight: int) -> bool:
        """Whether the unresolved flags on a post add up to hiding it pending review."""
        return open_weight >= self.threshold

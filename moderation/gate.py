"""The concrete ``community.ports.ModerationGate``: flag arithmetic and the rules on new posts."""

from __future__ import annotations

from dataclasses import dataclass, field

from moderation.flags import FlagRules


@dataclass
class ModerationRules:
    flags: FlagRules = field(default_factory=FlagRules)

    def flag_weight(self, role: str) -> int:
        return self.flags.weight(role)

    def flag_hides(self, open_weight: int) -> bool:
        return self.flags.hides(open_weight)

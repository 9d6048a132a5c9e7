"""The flag arithmetic on its own."""

from __future__ import annotations

from moderation.rules.flag_weights import FlagRules, target_key


def test_weights_by_role_and_the_threshold() -> None:
    rules = FlagRules(threshold=3, partner_weight=1, expert_weight=2)
    assert [rules.weight(r) for r in ("partner", "expert", "moderator", "admin")] == [1, 2, 3, 3]
    assert not rules.hides(2) and rules.hides(3) and rules.hides(4)
    assert target_key("post", 12) == "post:12"

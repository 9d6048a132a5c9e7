"""The load script's live-delivery check judges what listeners recorded (cheap: no server)."""

from __future__ import annotations

from typing import Any

from tests.load.checks import live
from tests.load.people import Acks


def listener(user_id: int, granted: list[str], posts: dict[str, list[int]], **extra: Any) -> dict[str, Any]:
    return {"user_id": user_id, "granted": granted, "posts": posts, "lost": extra.get("lost", {}),
            "settled": True, "fatal": "", "duplicates": extra.get("duplicates", 0), "leaks": 0,
            "connects": 1, "closes": {}}  # fmt: skip


def spec(role: str = "partner", org: int | None = 1) -> dict[str, Any]:
    return {"role": role, "org": org, "private": [{"thread_id": 9, "org": 2}]}


def acks() -> Acks:
    made = Acks()
    made.answers = [{"post_id": p, "thread_id": t, "private_org": None} for p, t in ((1, 5), (2, 5), (3, 6))]
    return made


def test_every_answer_in_a_granted_thread_must_arrive():
    states = {"1": "visible", "2": "hidden", "3": "visible"}
    results = [listener(7, ["user:7", "thread:5"], {"thread:5": [1]})]
    failures, figures = live(results, acks(), states, [spec()])
    assert figures["expected"] == 2 and figures["delivered"] == 1
    assert failures and "1 of 2 live deliveries never arrived" in failures[0]


def test_a_thread_whose_access_ended_and_pending_posts_are_not_expected():
    states = {"1": "visible", "2": "pending", "3": "visible"}
    results = [listener(7, ["thread:5", "thread:6"], {"thread:5": [1]}, lost={"thread:6": 40})]
    failures, figures = live(results, acks(), states, [spec()])
    assert failures == [] and figures["expected"] == 1


def test_repeats_and_a_private_thread_granted_to_an_outsider_fail():
    results = [listener(7, ["thread:9"], {}, duplicates=2), listener(8, ["thread:9"], {})]
    failures, _ = live(results, Acks(), {}, [spec(org=1), spec(org=2)])
    assert any("arrived twice" in f for f in failures)
    assert any("1 private threads were granted" in f for f in failures)


def test_a_vote_needs_a_score_event_and_a_flag_an_item_on_the_queue():
    made = acks()
    made.votes, made.flags = [(1, 8)], [(3, 8)]
    states = {"1": "visible", "2": "visible", "3": "visible"}
    results = [listener(7, ["thread:5", "queue"], {"thread:5": [1, 2]})]
    failures, figures = live(results, made, states, [spec(role="moderator", org=None)])
    assert figures["score_expected"] == 1 and figures["item_expected"] == 1
    assert "1 of 1 votes never reached" in " ".join(failures)
    assert "1 of 1 flags never reached" in " ".join(failures)

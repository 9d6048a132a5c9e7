"""The frozen relevance dev set of issue 12 (``relevance_dev_set.json``): its shape, not its scores.

How the set was made is in ``relevance_dev_set.md``; ``dev_set_bodies.py`` holds the selection rule.
Checks that need the coffee dump (``../shared/data/coffee-Posts.xml``) skip when it is missing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from pathlib import Path

import dev_set_bodies
import pytest

from community.demo.content import read_content
from community.models import ThreadKind

DEV_SET = Path(__file__).with_name("relevance_dev_set.json")
FROZEN_SHA256 = "77bc2a01043ae8532322c11e7084f6042e679a74b137a9de4df03d31977434e7"
"""Checksum of the file as frozen on 2026-12-05, before any ranking change. A new version of the set
is a new, declared file (and a note in relevance_dev_set.md), never an edit of this one."""

STYLES = {"question", "keywords", "paraphrase"}
HALVES = {"tune", "heldout"}

needs_dump = pytest.mark.skipif(not dev_set_bodies.DATA.exists(), reason="no ../shared/data/coffee-Posts.xml")


def _entries() -> list[dict[str, object]]:
    return json.loads(DEV_SET.read_text(encoding="utf-8"))


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def test_the_file_is_the_frozen_one() -> None:
    assert hashlib.sha256(DEV_SET.read_bytes()).hexdigest() == FROZEN_SHA256, (
        "relevance_dev_set.json changed: it is frozen (issue 12), add a new declared version instead"
    )


def test_every_entry_has_the_documented_shape() -> None:
    for entry in _entries():
        assert set(entry) == {"source", "id", "query", "style", "half"}, entry
        assert entry["source"] in {"coffee", "demo"}
        assert isinstance(entry["id"], int if entry["source"] == "coffee" else str)
        assert isinstance(entry["query"], str) and entry["query"].strip() == entry["query"] != ""
        assert entry["style"] in STYLES
        assert entry["half"] in HALVES


def test_enough_coffee_questions_and_the_demo_questions_still_exist() -> None:
    # The set is frozen: demo questions added after it are not in it, but every one it names must
    # still be in the demo (renaming one would silently drop a query from the benchmark).
    entries = _entries()
    assert sum(e["source"] == "coffee" for e in entries) >= 120
    demo_questions = {t.title for t in read_content().threads if t.kind == ThreadKind.QUESTION}
    assert {e["id"] for e in entries if e["source"] == "demo"} <= demo_questions


@needs_dump
def test_coffee_ids_are_questions_of_the_dump() -> None:
    questions = {int(q["Id"]) for q in dev_set_bodies.coffee_questions()}
    missing = [e["id"] for e in _entries() if e["source"] == "coffee" and e["id"] not in questions]
    assert missing == []


@needs_dump
def test_selection_style_and_half_follow_the_stated_rule() -> None:
    by_rule = {(e.source, e.id): (e.style, e.half) for e in dev_set_bodies.select()}
    in_file = {(e["source"], e["id"]): (e["style"], e["half"]) for e in _entries()}
    assert in_file == by_rule


def test_halves_are_balanced_overall_and_per_style() -> None:
    entries = _entries()
    halves = Counter(e["half"] for e in entries)
    assert abs(halves["tune"] - halves["heldout"]) <= 0.10 * len(entries)
    for style in STYLES:
        per_half = Counter(e["half"] for e in entries if e["style"] == style)
        assert abs(per_half["tune"] - per_half["heldout"]) <= 1, style


def test_the_styles_are_mixed_and_keyword_queries_are_short() -> None:
    entries = _entries()
    styles = Counter(e["style"] for e in entries)
    for style in STYLES:
        assert 0.25 <= styles[style] / len(entries) <= 0.40, styles
    long_keywords = [e["query"] for e in entries if e["style"] == "keywords" and len(e["query"].split()) > 3]
    assert long_keywords == []


@needs_dump
def test_no_query_equals_or_contains_its_question_title() -> None:
    titles = {("coffee", int(q["Id"])): q["Title"] for q in dev_set_bodies.coffee_questions()}
    offending = []
    for entry in _entries():
        title = titles[("coffee", entry["id"])] if entry["source"] == "coffee" else str(entry["id"])
        if _norm(title) in _norm(str(entry["query"])):
            where = entry["id"] if entry["source"] == "coffee" else "a demo thread"
            offending.append(where)  # not the title: whoever writes queries must not see titles
    assert offending == []


def test_no_duplicate_queries() -> None:
    queries = Counter(_norm(str(e["query"])) for e in _entries())
    assert [q for q, n in queries.items() if n > 1] == []

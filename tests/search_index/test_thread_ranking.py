"""Ranking by thread (issue 12): a thread is one result scored as one document, its answers
included, the accepted and voted-up ones weighing more; an article promoted from a thread is the
same result; covering more of the query helps without being a hard tier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search_index.engine import WhooshSearch
from tests.search_index.test_engine import EVERYONE, doc, search


def thread(n: int, title: str, body: str, answers: str = "", lead: str = "", **kw: object) -> object:
    return doc(f"thread:{n}", title, body, answers=answers, lead_answers=lead, answer_count=1, **kw)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[WhooshSearch]:
    e = WhooshSearch(tmp_path / "index")
    yield e
    e.close()


def test_a_thread_whose_accepted_answer_holds_the_words_ranks_above_one_whose_unvoted_answer_does(
    engine: WhooshSearch,
) -> None:
    text = "Descale with citric acid, then rinse the boiler twice."
    engine.apply(
        [
            thread(1, "Boiler care", "What keeps it working?", answers=text),
            thread(2, "Boiler care", "What keeps it working?", answers=text, lead=text),
            thread(3, "Unrelated", "Nothing about it.", answers="Never mind."),
        ],
        [],
    )
    assert [h.thread_id for h in search(engine, "citric acid rinse").results] == [2, 1]


def test_answers_count_for_their_thread_and_the_answer_is_shown_when_it_holds_the_words(
    engine: WhooshSearch,
) -> None:
    engine.apply(
        [
            thread(
                1, "Sour shots", "My espresso tastes sour.", answers="Grind finer and raise the temperature."
            ),
            doc("post:11", "Sour shots", "Grind finer and raise the temperature.", thread_id=1, post_id=11),
            thread(2, "Temperature of milk", "How hot should milk be?"),
        ],
        [],
    )
    res = search(engine, "grind finer")
    assert [(h.kind, h.thread_id) for h in res.results] == [("post", 1)]
    # The thread itself is shown when its own text holds the words.
    assert [h.doc_id for h in search(engine, "sour espresso").results] == ["thread:1"]


def test_an_article_and_the_thread_it_came_from_are_one_result(engine: WhooshSearch) -> None:
    engine.apply(
        [
            thread(1, "Vacuum canister for beans", "Does a vacuum canister keep beans fresh?"),
            doc(
                "article:5",
                "Keeping beans fresh in a vacuum canister",
                "Use a vacuum canister.",
                source_thread_id=1,
            ),
            doc("article:6", "Vacuum canister cleaning", "Rinse the vacuum canister."),
            thread(2, "Canister size", "Which canister size for a kilo of beans?"),
        ],
        [],
    )
    res = search(engine, "vacuum canister beans")
    groups = [h.thread_id or -(h.article_id or 0) for h in res.results]
    assert res.total == 3 == len(res.results)
    assert sorted(h.doc_id for h in res.results if h.doc_id in ("thread:1", "article:5")) in (
        ["article:5"],
        ["thread:1"],
    )
    assert len(groups) == len(set(groups))
    similar = engine.similar("vacuum canister beans", allowed_category_ids=EVERYONE, limit=5)
    assert len([h for h in similar if h.doc_id in ("thread:1", "article:5")]) == 1
    related = engine.similar("vacuum canister beans", allowed_category_ids=EVERYONE, exclude_thread_id=1)
    assert {h.doc_id for h in related} & {"thread:1", "article:5"} == set()


def test_covering_every_word_helps_but_is_not_a_tier(engine: WhooshSearch) -> None:
    engine.apply(
        [
            # Both words once, in a long body about something else.
            thread(1, "Travel mug", "A mug for the car. " * 20 + "It fits an espresso and a portafilter."),
            # Only the rare word, but it is what the thread is about.
            thread(2, "Portafilter", "Portafilter basket sizes: which portafilter fits?"),
            thread(3, "Espresso", "Espresso espresso espresso."),
        ]
        + [thread(10 + i, f"Espresso {i}", "Espresso again.") for i in range(10)],
        [],
    )
    got = [h.thread_id for h in search(engine, "espresso portafilter").results]
    assert got[0] == 2
    assert got.index(1) < got.index(3)


def test_an_index_written_before_the_lead_field_keeps_taking_changes(tmp_path: Path) -> None:
    from whoosh import index as whoosh_index

    from search_index.schema import build_schema

    old = build_schema()
    old.remove("lead")
    (tmp_path / "ix-old").mkdir()
    whoosh_index.create_in(str(tmp_path / "ix-old"), old)
    (tmp_path / "CURRENT").write_text("ix-old\n")
    e = WhooshSearch(tmp_path)
    try:
        e.apply([thread(1, "Boiler care", "Descale it.", answers="Citric acid.", lead="Citric acid.")], [])
        assert [h.thread_id for h in search(e, "citric").results] == [1]
    finally:
        e.close()

"""The Whoosh engine on a small corpus: what a person searching would notice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from search_index.documents import SearchDocument, SearchResults
from search_index.engine import WhooshSearch

PUBLIC, SUPPORT, SECRET = 1, 2, 3
SLUGS = {PUBLIC: "brewing", SUPPORT: "support", SECRET: "partners-only"}
EVERYONE = (PUBLIC, SUPPORT)
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def doc(
    doc_id: str,
    title: str = "",
    body: str = "",
    *,
    category: int = PUBLIC,
    days: int = 0,
    **kw: object,
) -> SearchDocument:
    kind, _, num = doc_id.partition(":")
    n = int(num)
    ids: dict[str, object] = {"thread": {"thread_id": n}, "post": {}, "article": {"article_id": n}}[kind]  # type: ignore[assignment]
    fields: dict[str, object] = {
        "doc_id": doc_id,
        "kind": kind,
        "title": title,
        "body": body,
        "category": SLUGS[category],
        "category_id": category,
        "author": "alice",
        "created_at": T0 + timedelta(days=days),
        "updated_at": T0 + timedelta(days=days),
        "url": f"/{kind}/{n}",
        **ids,
    }
    fields.update(kw)
    return SearchDocument(**fields)  # type: ignore[arg-type]


def corpus() -> list[SearchDocument]:
    return [
        doc(
            "thread:1",
            "How do I descale an espresso machine?",
            "Limescale builds up. Which descaler?",
            tags=("espresso-machine", "maintenance"),
            days=1,
            votes=3,
            answer_count=1,
            answers="Use citric acid every month, then rinse the boiler.",
        ),
        doc(
            "post:11",
            "How do I descale an espresso machine?",
            "Use citric acid every month, then rinse.",
            thread_id=1,
            post_id=11,
            tags=("espresso-machine", "maintenance"),
            days=2,
            author="bob",
            accepted=True,
            solved=True,
        ),
        doc(
            "thread:2",
            "Burr grinder for pour over",
            "Which burr grinder gives an even grind for pour over?",
            tags=("grinder", "pour-over"),
            days=3,
            votes=10,
            solved=True,
            answer_count=2,
            author="carol",
            org="acme",
        ),
        doc(
            "thread:3",
            "Milk frothing tips",
            "My café crème has no foam. The milk is cold and fresh.",
            tags=("milk",),
            days=4,
            votes=1,
            answer_count=0,
        ),
        doc(
            "thread:4",
            "Grinder noise",
            "The grinder is loud; the burr grinder of a friend is quiet.",
            tags=("grinder",),
            days=5,
            category=SUPPORT,
            answer_count=0,
        ),
        doc(
            "thread:5",
            "Decaf espresso taste",
            "Decaf espresso tastes flat, is decaf worse?",
            tags=("decaf", "espresso"),
            days=6,
            answer_count=0,
        ),
        doc(
            "article:7",
            "Espresso machine maintenance",
            "Backflush weekly, descale monthly.",
            tags=("maintenance",),
            days=7,
            votes=5,
        ),
        doc(
            "thread:8",
            "Zephyrx prototype grinder feedback",
            "The zephyrx burr prototype is secret.",
            tags=("prototype",),
            days=8,
            category=SECRET,
            answer_count=0,
        ),
        doc(
            "thread:9",
            "Cold brew ratio",
            "What ratio of coffee to water for cold brew <script>?",
            tags=("cold-brew",),
            days=9,
            answer_count=0,
        ),
        doc(
            "thread:10",
            "Travel mug",
            "A mug that keeps espresso warm and the machine clean.",
            days=10,
            answer_count=0,
        ),
    ]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[WhooshSearch]:
    e = WhooshSearch(tmp_path / "index")
    e.apply(corpus(), [])
    yield e
    e.close()


def ids(res: SearchResults) -> list[str]:
    return [h.doc_id for h in res.results]


def search(e: WhooshSearch, q: str, allowed: tuple[int, ...] = EVERYONE, **kw: object) -> SearchResults:
    return e.search(q, allowed_category_ids=allowed, **kw)  # type: ignore[arg-type]


# -- free words, ranking, analysis ------------------------------------------------------------


def test_any_word_matches_and_having_every_word_counts_softly(engine: WhooshSearch) -> None:
    res = search(engine, "espresso machine")
    got = ids(res)
    # Both words in title or tags first; then a thread titled and tagged "espresso" may come before
    # a travel-mug thread that only mentions both words once in its body (no hard all-words tier).
    assert set(got[:2]) == {"thread:1", "article:7"}
    assert set(got[2:]) == {"thread:5", "thread:10"}
    assert res.total == len(got) == 4


def test_title_and_tags_weigh_more_than_body(engine: WhooshSearch) -> None:
    assert ids(search(engine, "frothing"))[0] == "thread:3"
    # "grinder" is in both titles and bodies; the thread tagged and titled with it wins.
    got = ids(search(engine, "grinder"))
    assert got.index("thread:2") < got.index("thread:4") or got[0] in ("thread:2", "thread:4")
    assert ids(search(engine, "noise grinder"))[0] == "thread:4"


def test_accents_fold_and_words_stem(engine: WhooshSearch) -> None:
    assert ids(search(engine, "creme")) == ["thread:3"]
    assert ids(search(engine, "CAFÉ")) == ["thread:3"]
    assert "thread:3" in ids(search(engine, "froth"))  # frothing
    assert "thread:2" in ids(search(engine, "grinders"))


def test_a_thread_and_its_answers_are_one_result(engine: WhooshSearch) -> None:
    res = search(engine, "citric acid")
    assert res.total == 1
    assert res.results[0].thread_id == 1


def test_snippets_mark_matches_and_escape_html(engine: WhooshSearch) -> None:
    hit = search(engine, "cold brew").results[0]
    assert "<mark>cold</mark>" in hit.snippet and "<mark>brew</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "<mark>Cold</mark>" in hit.title


# -- operators --------------------------------------------------------------------------------


def test_phrase_needs_the_words_together(engine: WhooshSearch) -> None:
    assert set(ids(search(engine, '"burr grinder"'))) == {"thread:2", "thread:4"}
    assert ids(search(engine, '"grinder burr"')) == []


@pytest.mark.parametrize("within", [0, 2000])
def test_a_phrase_found_once_is_kept_per_segment_and_follows_changes(
    engine: WhooshSearch, monkeypatch: pytest.MonkeyPatch, within: int
) -> None:
    """A phrase's documents are kept with each segment (or, when operators leave few documents
    to check, checked on those only): searched again (another segment added, a document
    deleted, excluded instead of wanted) the answers stay exact."""
    from search_index import matching

    monkeypatch.setattr(matching, "PHRASE_WITHIN", within)
    assert search(engine, '"burr grinder"').total == 2
    engine.apply([doc("thread:40", "Another burr grinder", "a conical burr grinder")], [])
    assert set(ids(search(engine, '"burr grinder"'))) == {"thread:2", "thread:4", "thread:40"}
    engine.apply([], ["thread:2"])
    assert set(ids(search(engine, '"burr grinder"'))) == {"thread:4", "thread:40"}
    assert not {"thread:4", "thread:40"} & set(ids(search(engine, 'grinder -"burr grinder"')))


def test_excluded_word(engine: WhooshSearch) -> None:
    got = ids(search(engine, "espresso -decaf"))
    assert "thread:5" not in got and got


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("tag:grinder", {"thread:2", "thread:4"}),
        ("tag:GRINDER burr", {"thread:2", "thread:4"}),
        ("category:support", {"thread:4"}),
        ("author:carol", {"thread:2"}),
        ("author:bob", {"post:11"}),
        ("org:acme", {"thread:2"}),
        ("is:solved", {"thread:2"}),
        ("is:unanswered espresso", {"thread:5", "thread:10"}),
        ("is:article", {"article:7"}),
        ("espresso -is:article", {"thread:1", "thread:5", "thread:10"}),
        ("before:2024-01-04", {"thread:1"}),
        ("after:2024-01-10 before:2024-01-12", {"thread:9", "thread:10"}),
    ],
)
def test_operators(engine: WhooshSearch, q: str, expected: set[str]) -> None:
    res = search(engine, q)
    assert set(ids(res)) == expected
    assert res.total == len(expected)


def test_sort_by_newest_and_votes(engine: WhooshSearch) -> None:
    newest = ["thread:10", "article:7", "thread:5", "thread:1"]
    assert ids(search(engine, "espresso", sort="newest")) == newest
    assert ids(search(engine, "grinder", sort="votes"))[0] == "thread:2"


def test_pages_are_full_and_distinct(engine: WhooshSearch) -> None:
    first = search(engine, "is:unanswered", per_page=2)
    second = search(engine, "is:unanswered", per_page=2, page=2)
    assert first.total == second.total == 5
    assert len(first.results) == len(second.results) == 2
    assert not set(ids(first)) & set(ids(second))


def test_facets_count_results(engine: WhooshSearch) -> None:
    res = search(engine, "grinder")
    assert {(f.key, f.count) for f in res.categories} == {("brewing", 1), ("support", 1)}
    assert ("grinder", 2) in {(f.key, f.count) for f in res.tags}


# -- permissions ------------------------------------------------------------------------------


def test_a_category_not_allowed_never_shows(engine: WhooshSearch) -> None:
    for q in ("zephyrx", "prototype", "grinder", "tag:prototype", "is:unanswered", '"burr prototype"'):
        res = search(engine, q)
        assert "thread:8" not in ids(res)
        assert all("zephyrx" not in (h.snippet + h.title).lower() for h in res.results)
        assert all(f.key != "partners-only" for f in res.categories)
        assert all(f.key != "prototype" for f in res.tags)
    assert search(engine, "zephyrx").total == 0
    assert search(engine, "grinder").total == 2
    allowed = search(engine, "zephyrx", (PUBLIC, SUPPORT, SECRET))
    assert ids(allowed) == ["thread:8"]


def test_pages_stay_full_when_much_is_hidden(tmp_path: Path) -> None:
    e = WhooshSearch(tmp_path / "ix")
    docs = [
        doc(f"thread:{i}", f"kettle {i}", "kettle", category=SECRET if i % 3 else PUBLIC, days=i)
        for i in range(1, 61)
    ]
    e.apply(docs, [])
    res = e.search("kettle", allowed_category_ids=[PUBLIC], per_page=5, page=2)
    assert res.total == 20 and len(res.results) == 5
    assert all(h.category_id == PUBLIC for h in res.results)
    e.close()


def test_suggestions_come_only_from_what_the_user_may_see(engine: WhooshSearch) -> None:
    assert search(engine, "grindr").suggestion == "grinder"
    assert search(engine, "espreso machine").suggestion == "espresso machine"
    # "zephyrx" exists only in the secret category: no hint of it.
    assert search(engine, "zephyrz").suggestion is None
    assert search(engine, "zephyrz", (PUBLIC, SUPPORT, SECRET)).suggestion == "zephyrx"
    assert search(engine, "grinder").suggestion is None


# -- malformed input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced',
        "is:solved",
        "-",
        "tag:",
        "before:soon",
        "\x00\x07\x1b[31m",
        "x" * 10_000,
        '""""',
        "a:b:c",
        "-is:article",
        "the of and",
        "%%%",
        "\ud800",
        "tag:" * 500,
        '-"x" -y',
    ],
)
def test_malformed_queries_never_raise(engine: WhooshSearch, q: str) -> None:
    res = search(engine, q)
    assert res.error or isinstance(res.total, int)


def test_messages_instead_of_results(engine: WhooshSearch) -> None:
    assert search(engine, "before:soon").error == "before: needs a date like 2024-05-31"
    assert search(engine, "   ").error
    assert search(engine, "the and of").error


# -- writing ----------------------------------------------------------------------------------


def test_apply_upserts_and_deletes(engine: WhooshSearch) -> None:
    engine.apply(
        [replace(corpus()[3], title="Latte art tips", updated_at=T0 + timedelta(days=30))], ["thread:9"]
    )
    assert ids(search(engine, "latte")) == ["thread:3"]
    assert search(engine, "frothing").total == 0
    assert search(engine, "ratio").total == 0
    stamps = engine.stamps()
    assert "thread:9" not in stamps
    assert stamps["thread:3"] == T0 + timedelta(days=30)
    assert engine.doc_ids() == set(stamps)


def test_many_small_commits_are_merged_and_stay_correct(engine: WhooshSearch) -> None:
    for i in range(12):
        engine.apply([doc(f"thread:{100 + i}", f"kettle number {i}", "gooseneck kettle", days=i)], [])
        assert search(engine, f"kettle {i}").total >= 1
    engine.wait_for_merges()
    res = search(engine, "gooseneck")
    assert res.total == 12
    assert len(engine._writing.ix._read_toc().segments) <= 8


def test_another_process_sees_commits(tmp_path: Path) -> None:
    writer = WhooshSearch(tmp_path / "ix")
    reader = WhooshSearch(tmp_path / "ix", refresh_interval=0)
    writer.apply(corpus(), [])
    assert search(reader, "espresso").total == 4
    writer.apply([], ["thread:5"])
    assert search(reader, "espresso").total == 3
    writer.close()
    reader.close()


def test_rebuild_swaps_in_while_searches_go_on(engine: WhooshSearch, tmp_path: Path) -> None:
    stop = threading.Event()
    totals: list[int] = []
    errors: list[BaseException] = []

    def searching() -> None:
        while not stop.is_set():
            try:
                totals.append(search(engine, "espresso OR kettle").total)
            except BaseException as exc:  # pragma: no cover - the assertion below reports it
                errors.append(exc)

    t = threading.Thread(target=searching)
    t.start()
    seen: list[int] = []
    new = [*corpus(), *[doc(f"thread:{200 + i}", f"kettle {i}", "kettle") for i in range(300)]]
    engine.rebuild(new, progress=seen.append, procs=1)
    stop.set()
    t.join()
    assert not errors
    assert totals and all(n > 0 for n in totals)
    assert seen[-1] == len(new)
    assert search(engine, "kettle").total == 300
    dirs = [p for p in (tmp_path / "index").iterdir() if p.is_dir()]
    assert len(dirs) <= 2  # the live index and the previous one


def test_changes_during_a_rebuild_are_kept(engine: WhooshSearch) -> None:
    def documents() -> Iterator[SearchDocument]:
        yield from corpus()
        # The indexer applies a change while the rebuild is still reading documents.
        engine.apply([doc("thread:50", "Steam wand cleaning", "purge the steam wand")], ["thread:3"])

    engine.rebuild(documents(), procs=1)
    assert ids(search(engine, "steam wand")) == ["thread:50"]
    assert search(engine, "frothing").total == 0


# -- similar questions ------------------------------------------------------------------------


def test_similar_puts_solved_threads_and_articles_first(engine: WhooshSearch) -> None:
    got = engine.similar("espresso machine descaling and grinder", allowed_category_ids=EVERYONE)
    kinds = [(h.kind, h.solved) for h in got]
    first_plain = next((i for i, (k, s) in enumerate(kinds) if k != "article" and not s), len(kinds))
    assert all(k == "article" or s for k, s in kinds[:first_plain])
    assert {h.doc_id for h in got} >= {"thread:1", "article:7"}
    assert all(h.kind in ("thread", "article") for h in got)
    assert len(got) <= 5


def test_similar_respects_permissions(engine: WhooshSearch) -> None:
    assert engine.similar("zephyrx prototype", allowed_category_ids=EVERYONE) == []
    assert [h.doc_id for h in engine.similar("zephyrx prototype", allowed_category_ids=[SECRET])] == [
        "thread:8"
    ]
    assert engine.similar("", allowed_category_ids=EVERYONE) == []


def test_totals_and_facets_follow_updates_and_deletes(engine: WhooshSearch) -> None:
    before = search(engine, "grinder")
    assert before.total == 2
    # Thread 2 moves to the support category; thread 4 is deleted; an answer is added to thread 5.
    moved = replace(corpus()[2], category="support", category_id=SUPPORT)
    answer = doc("post:55", "Decaf espresso taste", "A better grinder helps decaf.", thread_id=5, post_id=55)
    engine.apply([moved, answer], ["thread:4"])
    res = search(engine, "grinder")
    assert {h.thread_id for h in res.results} == {2, 5}
    assert res.total == 2
    assert {(f.key, f.count) for f in res.categories} == {("support", 1), ("brewing", 1)}
    assert search(engine, "grinder", (PUBLIC,)).total == 1
    assert dict((f.key, f.count) for f in search(engine, "grinder tag:grinder").tags) == {
        "grinder": 1,
        "pour-over": 1,
    }
    engine.apply([], ["post:55"])
    assert search(engine, "grinder").total == 1


def test_operator_only_searches_list_every_match_when_the_index_has_many_segments(
    engine: WhooshSearch,
) -> None:
    # A running server applies changes in small batches, so the index grows segment by segment;
    # "is:unanswered" alone walks the newest-first order of every segment.
    for i in range(6):
        engine.apply([doc(f"thread:{300 + i}", f"Router setup {i}", "vlan", tags=("vlan",), days=20 + i)], [])
    for query in ("is:unanswered", "tag:vlan", "author:bob", "is:article", "tag:grinder"):
        for sort in ("relevance", "newest", "votes"):
            got = search(engine, query, sort=sort)
            assert got.total > 0, query
            assert len(got.results) == min(got.total, got.per_page), (query, sort)
    newest = search(engine, "tag:vlan", sort="newest")
    assert ids(newest) == [f"thread:{300 + i}" for i in reversed(range(6))]


# -- warming ----------------------------------------------------------------------------------


def test_warming_reads_the_index_own_words_whatever_the_community(tmp_path: Path) -> None:
    """Warming knows no community's words: on an empty index it reads nothing and does not fail;
    on a network-equipment index it reads that index's most frequent words."""
    from search_index import analysis

    e = WhooshSearch(tmp_path / "ix")
    e.warm(terms=20)
    assert search(e, "firmware").total == 0
    e.apply(
        [
            doc("thread:1", "Router firmware update fails", "The router firmware stops at 80%."),
            doc("thread:2", "VLAN tagging on the router", "Router ports drop tagged frames."),
            doc("thread:3", "Deal registration", "How long does a deal registration last?"),
        ],
        [],
    )
    e.warm(terms=3)
    warmed = {term for data in e._segments.data.values() for term in data.impact_cache}
    assert analysis.term_of("router") in warmed
    assert search(e, "routr").suggestion is not None or search(e, "routr").corrected
    assert ids(search(e, "router firmware"))[0] == "thread:1"
    e.close()


def test_a_background_merge_folds_only_small_segments(engine: WhooshSearch, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A merge holds the index's writer: it folds at most MERGE_MAX_DOCS documents, so a change
    never waits long behind it; a big segment (a rebuild's) is left as it is (issue 13)."""
    from search_index import writing

    engine.apply([doc(f"thread:{i}", f"big segment {i}", "espresso grinder", days=i) for i in range(40)], [])
    monkeypatch.setattr(writing, "MERGE_MAX_DOCS", 12)
    for i in range(12):
        engine.apply([doc(f"thread:{100 + i}", f"kettle number {i}", "gooseneck kettle", days=i)], [])
        engine.wait_for_merges()
    counts = sorted(s.doc_count_all() for s in engine._writing.ix._read_toc().segments)
    assert counts[-1] == 40  # never merged
    assert all(c <= 12 for c in counts[:-1]) and len(counts) <= 9
    assert search(engine, "gooseneck").total == 12 and search(engine, "grinder").total == 40


def test_merges_fold_segments_of_similar_sizes(engine: WhooshSearch) -> None:
    """A big segment is not rewritten at every merge (it was, under MERGE_MAX_DOCS, for the
    whole of a small index): small commits fold with each other, their merges with each other,
    and the big one only with another of its size; the count of segments stays bounded (issue 13)."""
    engine.apply([doc(f"thread:{i}", f"big segment {i}", "espresso grinder", days=i) for i in range(64)], [])

    def segments() -> list[tuple[str, int]]:
        return [(s.segment_id(), s.doc_count_all()) for s in engine._writing.ix._read_toc().segments]

    big = max(segments(), key=lambda s: s[1])
    rewritten = 0
    for i in range(150):
        engine.apply([doc(f"thread:{100 + i}", f"kettle number {i}", "gooseneck kettle", days=i)], [])
        engine.wait_for_merges()
        rewritten += big not in segments()
        big = max(segments(), key=lambda s: s[1])
        assert len(segments()) <= 9
    assert rewritten <= 2  # once another segment of its size formed beside it
    assert search(engine, "gooseneck").total == 150 and search(engine, "grinder").total == 64


def _blocked_merges(monkeypatch) -> tuple[threading.Event, threading.Event]:  # type: ignore[no-untyped-def]
    """Background merges write their segment, then wait for ``release`` before swapping it in."""
    from search_index import writing

    written, release = threading.Event(), threading.Event()
    real = writing._fold

    def fold(*args: object) -> object:
        result = real(*args)  # type: ignore[arg-type]
        written.set()
        assert release.wait(10)
        return result

    monkeypatch.setattr(writing, "_fold", fold)
    return written, release


def test_a_change_is_never_held_behind_a_merge(engine: WhooshSearch, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A background merge writes its segment without the index's writer: changes commit and are
    searchable meanwhile, and those touching the merged documents (replaced, deleted) hold once
    the merged segment is swapped in (issue 13: a change waited 1-2 s behind merges)."""
    written, release = _blocked_merges(monkeypatch)
    for i in range(8):
        gone = ["thread:102"] if i == 5 else []  # deleted before the merge reads its segment
        engine.apply([doc(f"thread:{100 + i}", f"kettle number {i}", "gooseneck kettle", days=i)], gone)
    assert written.wait(10)  # a merge of the eight has written its segment and waits

    def changes() -> None:
        engine.apply([doc("thread:100", "kettle number 0", "stovetop kettle", days=0)], ["thread:101"])
        engine.apply([doc("thread:200", "siphon brewer", "siphon brewer")], [])

    during = threading.Thread(target=changes)
    during.start()
    during.join(5)
    assert not during.is_alive()  # not held behind the merge
    assert search(engine, "siphon").total == 1 and search(engine, "stovetop").total == 1
    merged_ids = {s.segment_id() for s in engine._writing.ix._read_toc().segments}
    release.set()
    engine.wait_for_merges()
    after = engine._writing.ix._read_toc().segments
    assert len(after) < len(merged_ids)  # swapped in
    assert search(engine, "gooseneck").total == 5  # thread:100 replaced, 101 and 102 deleted
    assert search(engine, "stovetop").total == 1 and search(engine, "siphon").total == 1
    assert "thread:101" not in engine.doc_ids() and "thread:105" in engine.doc_ids()


def test_closing_gives_up_a_merge_in_progress(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    written, release = _blocked_merges(monkeypatch)
    engine = WhooshSearch(tmp_path / "index")
    for i in range(9):
        engine.apply([doc(f"thread:{100 + i}", f"kettle number {i}", "gooseneck kettle", days=i)], [])
    assert written.wait(10)
    threading.Timer(0.2, release.set).start()
    engine.close()  # holds the writer's lock while it waits: the merge gives up instead of waiting
    reopened = WhooshSearch(tmp_path / "index")
    assert search(reopened, "gooseneck").total == 9
    assert not [p for p in (tmp_path / "index").rglob(".merge-*")]
    reopened.close()


def test_a_merge_removes_staging_folders_left_by_a_dead_process(engine: WhooshSearch) -> None:
    import os
    import time as clock

    from search_index import writing

    index_dir = Path(engine._writing.ix.storage.folder)
    old, recent = index_dir / f"{writing.STAGING}old", index_dir / f"{writing.STAGING}recent"
    for folder in (old, recent):
        folder.mkdir()
        (folder / "MAIN_x.seg").write_bytes(b"half a segment")
    stale = clock.time() - writing.STAGING_STALE_SECONDS - 60
    os.utime(old, (stale, stale))
    for i in range(9):
        engine.apply([doc(f"thread:{100 + i}", f"kettle number {i}", "gooseneck kettle", days=i)], [])
    engine.wait_for_merges()
    assert not old.exists() and recent.exists()  # a recent one may be another writer's, still merging
    assert search(engine, "gooseneck").total == 9

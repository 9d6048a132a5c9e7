"""Per-document arrays live in a file beside each segment, written once and mapped by every process."""

from __future__ import annotations

from pathlib import Path

from search_index import sidecar
from search_index.engine import WhooshSearch
from tests.search_index.test_engine import EVERYONE, doc


def _sidecars(root: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in root.rglob("*.arrays")}


def test_arrays_are_written_once_beside_each_segment_and_shared(tmp_path: Path) -> None:
    first = WhooshSearch(tmp_path)
    first.apply(
        [doc(f"thread:{i}", f"Grinder {i}", "burr grinder", days=i, votes=i % 3) for i in range(1, 6)], []
    )
    first.apply(
        [doc("thread:9", "Kettle", "a kettle", days=9), doc("post:10", body="grinder too", thread_id=1)], []
    )
    first.warm()
    written = _sidecars(tmp_path)
    segments = {p.stem for p in tmp_path.rglob("*.trm")}
    assert {Path(n).stem for n in written} == segments and len(written) == 2

    other = WhooshSearch(tmp_path)  # another worker: maps the files, writes nothing
    newest = other.search("grinder", allowed_category_ids=EVERYONE, sort="newest")
    assert [h.doc_id for h in newest.results] == ["thread:5", "thread:4", "thread:3", "thread:2", "thread:1"]
    votes = other.search("grinder", allowed_category_ids=EVERYONE, sort="votes")
    assert [h.votes for h in votes.results] == [2, 2, 1, 1, 0]
    assert other.search("grinder after:2024-01-04", allowed_category_ids=EVERYONE).total == 3  # days 3, 4, 5
    assert _sidecars(tmp_path) == written
    first.close()
    other.close()


def test_a_merge_removes_the_merged_segments_arrays(tmp_path: Path) -> None:
    engine = WhooshSearch(tmp_path)
    for i in range(1, 12):  # past MAX_SEGMENTS: small segments are merged in the background
        engine.apply([doc(f"thread:{i}", f"Roast {i}", "light roast", days=i)], [])
        engine.search("roast", allowed_category_ids=EVERYONE)
    engine.wait_for_merges()
    engine.apply([doc("thread:99", "Roast again", "dark roast")], [])  # the next commit cleans up
    assert engine.search("roast", allowed_category_ids=EVERYONE).total == 12
    live = {p.stem for p in tmp_path.rglob("*.trm")}
    assert {p.stem for p in tmp_path.rglob("*.arrays")} <= live
    engine.close()


def test_members_and_orders_from_the_file() -> None:
    arrays = sidecar.parse(sidecar.build([30, 10, 20, 10], [1, 5, 5, 0], [7, 3, 7, 9]))
    assert list(arrays.newest) == [0, 2, 1, 3]
    assert list(arrays.most_voted) == [2, 1, 0, 3]
    assert list(arrays.created_keys) == [10, 10, 20, 30]
    assert list(arrays.members(7)) == [0, 2] and list(arrays.members(9)) == [3]
    assert list(arrays.members(4)) == []


def test_frequent_terms_impacts_are_written_once_and_mapped_by_every_process(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A term with many postings in a segment has its impacts in a file beside it (here: every
    term, the threshold lowered), written by the first process and mapped by the others; the
    results are those computed in memory, and a merge removes the files with their segment."""
    from search_index import segments

    docs = [
        doc(f"thread:{i}", f"Grinder {i}", "burr grinder" + " burr" * (i % 3), days=i) for i in range(1, 9)
    ]
    plain = WhooshSearch(tmp_path / "plain")
    plain.apply(docs, [])
    expected = plain.search("burr grinder", allowed_category_ids=EVERYONE)
    plain.close()

    monkeypatch.setattr(segments, "SHARED_POSTINGS", 1)
    first = WhooshSearch(tmp_path / "shared")
    first.apply(docs, [])
    got = first.search("burr grinder", allowed_category_ids=EVERYONE)
    files = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "shared").rglob("*.t*") if p.suffix != ".toc"}
    assert len(files) >= 2  # "burr" and "grinder"
    other = WhooshSearch(tmp_path / "shared")
    again = other.search("burr grinder", allowed_category_ids=EVERYONE)
    for results in (got, again):
        assert [(h.doc_id, h.score) for h in results.results] == [
            (h.doc_id, h.score) for h in expected.results
        ]
    assert {
        p.name: p.stat().st_mtime_ns for p in (tmp_path / "shared").rglob("*.t*") if p.suffix != ".toc"
    } == files
    other.close()
    first.close()


def test_impacts_file_round_trip() -> None:
    import numpy as np

    from search_index import shared
    from search_index.scoring import Postings

    p = Postings(
        np.array([1, 4, 9], dtype=np.int32), np.array([0.5, 1.25, 2.0]), np.array([4], dtype=np.int32)
    )
    back = shared.decode(shared.encode(p))
    assert (
        back.docs.tolist() == [1, 4, 9]
        and back.values.tolist() == [0.5, 1.25, 2.0]
        and back.own.tolist() == [4]
    )

"""Writing: the index directories, single changes, background merges, bulk writes and rebuilds.

``root`` holds one or more index directories and a ``CURRENT`` file naming the live one; a rebuild
writes a new directory and swaps ``CURRENT`` atomically (searching processes follow it on their next
search), and the directory before the previous one is removed.

Whoosh allows one writer per index: this process serialises its own writes with :attr:`IndexWriter.lock`;
other processes must not write at the same time (the app's indexer holds a cross-process lock).
Changes are committed without merging (a merge costs as much as indexing); when more than
``MAX_SEGMENTS`` segments pile up, segments of similar sizes (``_mergeable``) are folded together
in a background thread, at most ``MERGE_MAX_DOCS`` documents at a time. The merge does not hold the
writer: it writes the merged segment in a staging folder and only swaps it in, under the lock, for
the segments it replaces, carrying over the deletions made meanwhile (a change waiting behind a
merge was what kept search seconds, then minutes, behind under load). Bulk writes fill segments
from several processes and keep them as they are.

Internal to :mod:`search_index`; :class:`search_index.engine.WhooshSearch` is the public class.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.writing import CLEAR, SegmentWriter

from search_index.documents import SearchDocument
from search_index.schema import build_schema, codec, document_fields

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
MAX_SEGMENTS = 8
MERGE_MAX_DOCS = 10_000
MERGE_FACTOR = 4
STAGING = ".merge-"  # merged segments are written in such a folder inside the index's (Whoosh skips it)
STAGING_STALE_SECONDS = 3600


def _tier(segment: Any) -> int:
    """Segments of one tier hold between ``MERGE_FACTOR**t`` and ``MERGE_FACTOR**(t + 1)`` live
    documents (one whose documents were mostly replaced since sinks, and merges with smaller ones)."""
    return int(math.log(max(segment.doc_count(), 1), MERGE_FACTOR))


def _mergeable(segments: list[Any]) -> list[Any]:
    """Segments of similar sizes to fold together: those of the lowest tier (``_tier``) that has
    ``MERGE_FACTOR`` of them, else of the lowest that has two, at most ``MERGE_MAX_DOCS``
    documents in all.

    Small commits merge with each other, their merges with each other, and a big segment only
    with others of its size: each document is rewritten a few times (about the log of the
    index's size over a commit's), not at every merge. Folding every segment under the cap each
    time rewrote the whole of a small index at every merge (1-2 s that a change waited behind,
    under sustained answering)."""
    tiers: dict[int, list[Any]] = {}
    for segment in sorted(segments, key=lambda s: s.doc_count()):
        tiers.setdefault(_tier(segment), []).append(segment)
    for enough in (MERGE_FACTOR, 2):
        for tier in sorted(tiers):
            if len(tiers[tier]) < enough:
                continue
            chosen: list[Any] = []
            total = 0
            for segment in tiers[tier]:
                total += segment.doc_count_all()
                if total > MERGE_MAX_DOCS:
                    break
                chosen.append(segment)
            if len(chosen) > 1:
                return chosen
    return []


class _Staging:
    """What Whoosh's ``SegmentWriter`` reads from an index, pointed at a staging folder: a merged
    segment is written there, outside the index's own folder, while commits go on. (A commit's
    cleanup deletes the files of segments its table of contents does not name, and every writer's
    pool uses the same temporary folder, which each one removes when it finishes.)"""

    def __init__(self, folder: Path, indexname: str, toc: Any) -> None:
        self.storage = FileStorage(str(folder)).create()
        self.indexname = indexname
        self._toc = toc

    def _read_toc(self) -> Any:
        return self._toc


def _remove_stale_staging(index_dir: Path) -> None:
    """Staging folders left by a process that died merging (only the index's writer merges, one
    merge at a time: an old one is nobody's)."""
    for folder in index_dir.glob(f"{STAGING}*"):
        with contextlib.suppress(OSError):
            if time.time() - folder.stat().st_mtime > STAGING_STALE_SECONDS:
                shutil.rmtree(folder, ignore_errors=True)


# segment id -> (its deleted documents when the merge read it, its first document in the merged
# segment, its document numbers there when it had deletions: otherwise first + number)
_Sources = dict[str, tuple[set[int], int, dict[int, int] | None]]


def _fold(ix: Any, toc: Any, chosen: list[Any], folder: Path) -> tuple[Any, _Sources]:
    """Write the live documents of ``chosen`` into one new segment in ``folder``, without the
    index's lock."""
    writer = SegmentWriter(_Staging(folder, ix.indexname, toc), _lk=False, codec=codec(), compound=False)
    sources: _Sources = {}
    try:
        for segment in chosen:
            reader = SegmentReader(ix.storage, toc.schema, segment)
            try:
                # SegmentWriter.add_reader, keeping where each document went.
                first = writer.docnum
                names = set(toc.schema.names()) | {n for n in reader.indexed_field_names() if n in toc.schema}
                docmap = writer.write_per_doc(names, reader)
                writer.add_postings_to_pool(reader, first, docmap)
                writer._added = True
            finally:
                reader.close()
            sources[segment.segment_id()] = (set(segment.deleted_docs()), first, docmap)
        merged = writer._finalize_segment()
    except BaseException:
        writer._close_segment()
        raise
    finally:
        writer._finish()
    return merged, sources


class IndexWriter:
    """The writing side of the index kept in ``root``: which directory is live, and every write.

    ``stale`` is set after each commit and swap; the searching side clears it when it reopens."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()
        self.stale = False
        self._merge_thread: threading.Thread | None = None
        self._abandon = threading.Event()
        self._journal: list[tuple[Sequence[SearchDocument], Sequence[str]]] | None = None
        with self.lock:
            self.ix_name, self.ix = self._open_current()

    # -- index directories --------------------------------------------------------------------

    def read_current(self) -> str | None:
        """The name of the live index directory (None before there is one)."""
        try:
            name = (self.root / CURRENT).read_text().strip()
        except FileNotFoundError:
            return None
        return name if name and (self.root / name).is_dir() else None

    def follow(self, name: str) -> None:
        """Switch to the directory another process swapped in."""
        with self.lock:
            self.ix_name = name
            self.ix = whoosh_index.open_dir(str(self.root / name))

    def _open_current(self) -> tuple[str, Any]:
        name = self.read_current()
        if name is None:
            name = self._new_dir_name()
            (self.root / name).mkdir()
            whoosh_index.create_in(str(self.root / name), build_schema())
            self._point_to(name)
        return name, whoosh_index.open_dir(str(self.root / name))

    def _new_dir_name(self) -> str:
        return f"ix-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"

    def _point_to(self, name: str) -> None:
        tmp = self.root / f"{CURRENT}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(name + "\n")
        os.replace(tmp, self.root / CURRENT)

    def _remove_old_dirs(self, keep: set[str]) -> None:
        """Remove index directories older than the previous one (other processes may still be
        reading the previous one until their next search)."""
        for child in self.root.iterdir():
            if child.is_dir() and child.name.startswith("ix-") and child.name not in keep:
                shutil.rmtree(child, ignore_errors=True)

    # -- writes -------------------------------------------------------------------------------

    def apply(self, upserts: Sequence[SearchDocument], deletes: Sequence[str]) -> None:
        """See :meth:`search_index.engine.WhooshSearch.apply`."""
        if not upserts and not deletes:
            return
        with self.lock:
            if self._journal is not None:
                self._journal.append((list(upserts), list(deletes)))
            writer = new_writer(self.ix)
            try:
                for doc_id in deletes:
                    writer.delete_by_term("doc_id", doc_id)
                known = set(self.ix.schema.names())
                for doc in upserts:
                    if doc.private_org_id is not None and "aud" not in known:
                        # An index from before private questions cannot keep them from others:
                        # leave them out until ``community reindex`` (fail closed).
                        writer.delete_by_term("doc_id", doc.doc_id)
                        continue
                    writer.update_document(**indexable(document_fields(doc), known))
            except BaseException:
                writer.cancel()
                raise
            writer.commit(merge=False)
            self.stale = True
            segments = self.ix._read_toc().segments
            if len(segments) > MAX_SEGMENTS and _mergeable(segments):
                self._merge_in_background()

    def _merge_in_background(self) -> None:
        """Fold segments of similar sizes together (``_mergeable``), off the caller's path and
        without holding the writer: the merged segment is written aside, and only swapped in,
        under the lock, for the segments it replaces (with the deletions made meanwhile)."""
        if self._merge_thread is not None and self._merge_thread.is_alive():
            return
        self._abandon.clear()
        self._merge_thread = threading.Thread(target=self._merge, name="search-merge", daemon=True)
        self._merge_thread.start()

    def _merge(self) -> None:
        try:
            while self._merge_once():
                pass
        except Exception:  # pragma: no cover - merging is an optimisation only
            log.exception("search index merge failed")

    def _merge_once(self) -> bool:
        """One merge while more than ``MAX_SEGMENTS`` segments are left; whether it was made."""
        folder: Path | None = None
        try:
            if not self._lock_unless_abandoned():
                return False
            try:
                ix = self.ix
                toc = ix._read_toc()
                chosen = _mergeable(toc.segments) if len(toc.segments) > MAX_SEGMENTS else []
                if not chosen:
                    return False
                _remove_stale_staging(Path(ix.storage.folder))
                folder = Path(ix.storage.folder) / f"{STAGING}{uuid.uuid4().hex}"
            finally:
                self.lock.release()
            merged, sources = _fold(ix, toc, chosen, folder)
            return self._swap_in(ix, merged, sources, folder)
        finally:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    def _lock_unless_abandoned(self) -> bool:
        """Take the lock for a merge's short steps, unless the merge is given up meanwhile (a
        closing thread may hold the lock while it waits for the merge to end)."""
        while not self.lock.acquire(timeout=0.05):
            if self._abandon.is_set():
                return False
        if self._abandon.is_set():
            self.lock.release()
            return False
        return True

    def _swap_in(self, ix: Any, merged: Any, sources: _Sources, folder: Path) -> bool:
        """Replace the merged segments by ``merged`` in a new table of contents. Given up if the
        index changed under it (rebuilt, cleared) or is closing; whether it was swapped in."""
        if not self._lock_unless_abandoned():
            return False
        try:
            if self.ix is not ix:
                return False
            writelock = ix.lock("WRITELOCK")
            if not writelock.acquire(False):
                return False
            try:
                toc = ix._read_toc()
                current = {s.segment_id(): s for s in toc.segments}
                if not sources.keys() <= current.keys():
                    return False
                for segment_id, (deleted_before, first, docmap) in sources.items():
                    for docnum in set(current[segment_id].deleted_docs()) - deleted_before:
                        merged.delete_document(docmap[docnum] if docmap is not None else first + docnum)
                for name in os.listdir(folder):
                    os.replace(folder / name, Path(ix.storage.folder) / name)
                segments = [s for s in toc.segments if s.segment_id() not in sources] + [merged]
                generation = toc.generation + 1
                whoosh_index.TOC(toc.schema, segments, generation).write(ix.storage, ix.indexname)
                whoosh_index.clean_files(ix.storage, ix.indexname, generation, segments)
                self.stale = True
                return True
            finally:
                writelock.release()
        finally:
            self.lock.release()

    def wait_for_merges(self) -> None:
        """Wait for a background merge to end; one that would need the lock this thread holds
        (closing) is given up."""
        thread = self._merge_thread
        if thread is not None:
            if self.lock._is_owned():  # type: ignore[attr-defined]
                self._abandon.set()
            thread.join()

    def rebuild(
        self,
        documents: Iterable[SearchDocument],
        progress: Callable[[int], None] | None,
        *,
        procs: int | None,
        limitmb: int,
        warm: Callable[[], None],
    ) -> None:
        """See :meth:`search_index.engine.WhooshSearch.rebuild`; ``warm`` is called once the new
        index is live, before the old directories are removed."""
        procs = procs if procs is not None else min(4, os.cpu_count() or 1)
        name = self._new_dir_name()
        path = self.root / name
        path.mkdir()
        ix = whoosh_index.create_in(str(path), build_schema())
        with self.lock:
            self._journal = []
        try:
            count = bulk_write(ix, documents, progress, procs=procs, limitmb=limitmb)
            with self.lock:
                journal, self._journal = self._journal or [], None
                if journal:
                    writer = new_writer(ix)
                    for upserts, deletes in journal:
                        for doc_id in deletes:
                            writer.delete_by_term("doc_id", doc_id)
                        for doc in upserts:
                            writer.update_document(**document_fields(doc))
                    writer.commit(merge=False)
                self._point_to(name)
                old_name = self.ix_name
                self.ix_name, self.ix = name, ix
                self.stale = True
            log.info("search index rebuilt: %d documents in %s", count, name)
            warm()
            self._remove_old_dirs(keep={name, old_name})
        except BaseException:
            with self.lock:
                self._journal = None
            shutil.rmtree(path, ignore_errors=True)
            raise

    def clear(self) -> None:
        """Remove every document."""
        with self.lock:
            writer = new_writer(self.ix)
            writer.commit(mergetype=CLEAR)
            self.stale = True


def indexable(values: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """``values`` without the fields an index written by an older version lacks: it keeps taking
    changes after an upgrade (what the newer fields add comes with ``community reindex``)."""
    if all(k in known or k.startswith("_") for k in values):
        return values
    return {k: v for k, v in values.items() if k in known or k.startswith("_")}


def new_writer(ix: Any, **kwargs: Any) -> Any:
    """A writer with our codec; segments as separate files (assembling a compound file copies
    every byte once more and gains nothing on a local disk)."""
    kwargs.setdefault("limitmb", 128)
    return ix.writer(codec=codec(), compound=False, **kwargs)


def bulk_write(
    ix: Any,
    documents: Iterable[SearchDocument],
    progress: Callable[[int], None] | None,
    *,
    procs: int,
    limitmb: int,
) -> int:
    """Write many documents fast: several processes each fill their own segments (kept as they
    are, not merged: merging costs as much as indexing and barely speeds up queries)."""
    if procs > 1:
        writer = new_writer(ix, procs=procs, limitmb=limitmb, multisegment=True, batchsize=256)
    else:
        writer = new_writer(ix, limitmb=limitmb)
    count = 0
    try:
        for doc in documents:
            writer.add_document(**document_fields(doc))
            count += 1
            if progress is not None and count % 1000 == 0:
                progress(count)
    except BaseException:
        writer.cancel()
        raise
    if procs > 1:
        writer.commit()
    else:
        writer.commit(merge=False)
    if progress is not None:
        progress(count)
    return count

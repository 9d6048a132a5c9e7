"""A frequent term's impacts in one segment, kept in a file beside the segment and memory-mapped.

At a million documents a common word has hundreds of thousands of postings per segment; reading
and scoring them costs about 0.4 us a posting (a word's first search: a few hundred ms), and held
in each worker they cost 16 bytes a posting per worker. So the first process that needs a term
with many postings writes its impacts (document numbers, impact per document, the documents having
it in their own text) to ``<segment id>.t<digest of the term>`` beside the segment (a temporary
name, then renamed), and every process maps that file read-only: the operating system keeps one
copy per host, shared by all the workers, and pages it out under pressure like any file.

Segments never change once written, and neither do impacts (they depend only on the segment's own
lengths; idf is applied per query), so the file never goes stale. Its name follows Whoosh's
segment file pattern, so Whoosh removes it with its segment after a merge.

Internal to :mod:`search_index`.
"""

from __future__ import annotations

import hashlib
import mmap
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np

from search_index import sidecar
from search_index.docsets import DOC
from search_index.scoring import Postings

MAGIC = b"IMPACTS1"
_HEADER = struct.Struct("<8sqq")  # magic, postings, own-text documents
_VALUE = np.dtype("<f8")
_DOC = np.dtype("<i4")


def digest(term: str) -> str:
    """A file-name-safe, fixed-length name for a term (lower-case hex)."""
    return hashlib.blake2b(term.encode("utf-8"), digest_size=12).hexdigest()


def encode(p: Postings) -> bytes:
    """Header, impacts (8-byte aligned), document numbers, own-text documents."""
    return b"".join(
        (
            _HEADER.pack(MAGIC, len(p.docs), len(p.own)),
            p.values.astype(_VALUE).tobytes(),
            p.docs.astype(_DOC).tobytes(),
            p.own.astype(_DOC).tobytes(),
        )
    )


def decode(buffer: mmap.mmap | bytes) -> Postings:
    magic, n, n_own = _HEADER.unpack_from(buffer, 0)
    if magic != MAGIC or len(buffer) != _HEADER.size + 12 * n + 4 * n_own:
        raise ValueError("not an impacts file")
    pos = _HEADER.size
    values = np.frombuffer(buffer, dtype=_VALUE, count=n, offset=pos)
    docs = np.frombuffer(buffer, dtype=_DOC, count=n, offset=pos + 8 * n)
    own = np.frombuffer(buffer, dtype=_DOC, count=n_own, offset=pos + 12 * n)
    return Postings(docs.astype(DOC, copy=False), values, own.astype(DOC, copy=False))


def load(path: Path, compute: Callable[[], Postings]) -> tuple[Postings, bool]:
    """The impacts in ``path``, mapped; computed with ``compute()`` and written there first when
    the file is missing. The flag says whether they are mapped (False: the file could not be
    written, and they are held in this process)."""
    return sidecar.map_or_write(path, lambda: encode(compute()), decode)

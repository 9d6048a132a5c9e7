"""Whoosh's W3 codec with posting blocks split in two: (document numbers, weights), then values.

W3 pickles each block of 128 postings as one ``(ids, weights, values)`` tuple. For positional
fields the values are one small ``bytes`` object per posting, and unpickling them was most of the
cost of reading a posting list (1.5 us a posting instead of 0.3), although ranking needs only the
document numbers and weights; only phrase checks need positions. Here a block's data is
``length of part 1 | pickle((ids, weights)) | pickle(values)`` and readers load the second part
only when asked for values. Blocks are not compressed (zlib cost 5% of indexing and as much again
on every block read; the index is about a third larger).

Segments record their codec, so an index written with this codec is always read with it.
"""

from __future__ import annotations

import zlib
from pickle import dumps, loads
from typing import Any

from whoosh.codec import whoosh3
from whoosh.system import pack_uint, unpack_uint
from whoosh.util.numeric import length_to_byte

_HEAD = 4  # bytes of the length of part 1


class SplitPostingsWriter(whoosh3.W3PostingsWriter):
    def _write_block(self, last: bool = False) -> None:
        if not self._blockcount:
            self._postfile.write(whoosh3.WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        head = dumps((self._mini_ids(), self._mini_weights()), 2)
        values = self._mini_values()
        databytes = pack_uint(len(head)) + head + (dumps(values, 2) if values is not None else b"")
        comp = self._compression
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        infobytes = dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                comp,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        postfile = self._postfile
        blocklength = len(infobytes) + len(databytes)
        postfile.write_int(-blocklength if last else blocklength)
        postfile.write(infobytes)
        postfile.write(databytes)
        self._blockcount += 1
        self._new_block()


class SplitLeafMatcher(whoosh3.W3LeafMatcher):
    """Reads split blocks; ``_data`` is filled with ``(ids, weights, values)`` where values are
    loaded only by :meth:`_read_values` (and by :meth:`read_head` callers, never)."""

    def _raw(self) -> bytes:
        b = self._postfile.get(self._dataoffset, self._nextoffset - self._dataoffset)
        return zlib.decompress(b) if self._compression else bytes(b)

    def read_head(self) -> tuple[Any, Any]:
        """(minified ids, minified weights) of the current block, without its values."""
        data = self._data
        if data is None:
            raw = self._raw()
            n = unpack_uint(raw[:_HEAD])[0]
            ids, weights = loads(raw[_HEAD : _HEAD + n])
            self._data = data = (ids, weights, None)
            self._rawvalues = raw[_HEAD + n :]
        return data[0], data[1]

    def _read_data(self) -> None:
        self.read_head()

    def _read_values(self) -> None:
        self.read_head()
        if self._data[2] is None and self._rawvalues:
            self._data = (self._data[0], self._data[1], loads(self._rawvalues))
        super()._read_values()


class SplitCodec(whoosh3.W3Codec):
    def __init__(self, blocklimit: int = 128, compression: int = 0, inlinelimit: int = 1) -> None:
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> Any:
        return SplitPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return SplitLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

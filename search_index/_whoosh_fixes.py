"""Small fixes to Whoosh-Reloaded internals, applied once when the engine is imported.

They change no file format and no result, only speed (measured on a full rebuild of 100,000
documents with tests/benchmarks/bench_search.py).

``W3PerDocReader._cached_reader`` checks the file system (a ``stat``) on every call for fields
without a length column (ID and KEYWORD fields), and flushing a segment calls it once per posting:
a third of a full rebuild went to ``os.stat``. The fix remembers that such a column is missing.

``PostingPool.add`` and ``W3PostingsWriter.add_posting`` run once per posting (about a hundred per
document) and spent much of their time on type assertions and a size estimate;
``SegmentWriter.add_document`` now hands a field's postings to the pool in one step.
"""

from __future__ import annotations

from typing import Any

from whoosh import writing
from whoosh.codec import whoosh3
from whoosh.util.numeric import byte_to_length

_MISSING = object()


def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
    readers = self._readers
    found = readers.get(fieldname, _MISSING)
    if found is _MISSING:
        found = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        readers[fieldname] = found
    return found


def _pool_add(self: Any, item: tuple[Any, ...]) -> None:
    """``PostingPool.add`` without per-posting type assertions and with a cheaper size estimate."""
    self.fieldnames.add(item[0])
    self.currentsize += 150 + 2 * len(item[1]) + len(item[4] or b"")
    if self.currentsize > self.limit:
        self.save()
    self.current.append(item)


def _add_posting(self: Any, id_: int, weight: float, vbytes: bytes, length: int | None = None) -> None:
    """``W3PostingsWriter.add_posting`` without per-posting type assertions."""
    if len(self._ids) >= self._blocklimit:
        self._write_block()
    self._ids.append(id_)
    self._weights.append(weight)
    if weight > self._maxweight:
        self._maxweight = weight
    if vbytes:
        self._values.append(vbytes)
    if length:
        minlength = self._minlength
        if minlength is None or length < minlength:
            self._minlength = length
        if length > self._maxlength:
            self._maxlength = length


_BYTE_TO_LENGTH = [byte_to_length(i) for i in range(256)]


def _doc_field_length(self: Any, docnum: int, fieldname: str, default: int = 0) -> int | None:
    """``W3PerDocReader.doc_field_length`` reading each length column once, as bytes.

    Called once per posting when a segment is written and once per scored posting when searching;
    the original read one byte from the file each time."""
    cache = self.__dict__.get("_length_bytes")
    if cache is None:
        cache = self._length_bytes = {}
    data = cache.get(fieldname, _MISSING)
    if data is _MISSING:
        reader = self._cached_reader(whoosh3._lenfield(fieldname), whoosh3.LENGTHS_COLUMN)
        data = None if reader is None else bytes(reader._dbfile.get(reader._basepos, reader._count))
        cache[fieldname] = data
    if data is None:
        return default
    if docnum < len(data):
        b = data[docnum]
        if b:
            return _BYTE_TO_LENGTH[b]
    elif docnum > self._doccount:
        raise IndexError(f"Asked for docnum {docnum} of {self._doccount}")
    return None


def _add_document(self: Any, **fields: Any) -> None:
    """``SegmentWriter.add_document`` with its per-posting work batched: the postings of a field
    go into the pool with one ``extend`` and one size update (same postings, same order)."""
    self._check_state()
    perdocwriter = self.perdocwriter
    schema = self.schema
    docnum = self.docnum
    pool = self.pool
    docboost = self._doc_boost(fields)
    fieldnames = sorted(name for name in fields if not name.startswith("_"))
    self._check_fields(schema, fieldnames)
    perdocwriter.start_doc(docnum)
    size = 0
    try:
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                items = field.index(value)
                if not isinstance(items, list):
                    items = list(items)
                if field.scorable:
                    length = sum([item[1] for item in items])
                posts = [(fieldname, tb, docnum, w * fieldboost, vb) for tb, _, w, vb in items]
                # The pool's memory estimate: ~200 bytes a posting (tuple, term, value).
                size += 200 * len(posts)
                if posts:
                    pool.fieldnames.add(fieldname)
                    pool.current.extend(posts)
            if field.separate_spelling():
                spellfield = field.spelling_fieldname(fieldname)
                for word in field.spellable_words(value):
                    pool.add((spellfield, word.encode("utf-8"), 0, 1, None))
            if field.vector:
                vitems = field.vector.word_values(value, field.analyzer, mode="index")
                vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                perdocwriter.add_vector_items(fieldname, field, vitems)
            customval = fields.get(f"_stored_{fieldname}", value)
            perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
            column = field.column_type
            if column and customval is not None:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
    except Exception:
        perdocwriter.cancel_doc()
        raise
    perdocwriter.finish_doc()
    pool.currentsize += size
    if pool.currentsize > pool.limit:
        pool.save()
    self._added = True
    self.docnum += 1


def apply() -> None:
    whoosh3.W3PerDocReader._cached_reader = _cached_reader
    writing.PostingPool.add = _pool_add
    whoosh3.W3PostingsWriter.add_posting = _add_posting
    whoosh3.W3PerDocReader.doc_field_length = _doc_field_length
    writing.SegmentWriter.add_document = _add_document


apply()

"""Each segment's field lengths read once, as a whole column, and kept in memory.

Whoosh's BM25F asks the segment for a document's field length at every score, and the
segment reads that one byte from its length column on disk: at 100,000 documents it was
~11 % of a search's time (1.1 million reads for 250 queries). A segment's lengths never change
(deletions only hide documents), so they are kept per segment until it is merged away.

Relies on whoosh 2.7.5's W3 codec: ``whoosh.codec.whoosh3.LENGTHS_COLUMN`` and ``_lenfield``,
the segment reader's ``_perdoc`` and its ``_cached_reader``, and the column reader's
``_fixedlen``, ``_dbfile``, ``_basepos`` and ``_count``. Anything else falls back to Whoosh's
per-document reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from whoosh.util.numeric import byte_to_length

from kb.whoosh_backend.segments import PerSegment

# Length bytes decoded once (Whoosh stores a field's length as one lossy byte). A length
# byte of 0 means "no length stored": Whoosh then scores with the default length 1.
_LENGTH_OF_BYTE = tuple(float(byte_to_length(b)) if b else 1.0 for b in range(256))


class FieldLengths:
    """Per (segment, field): each document's field length, as a list indexed by docnum."""

    def __init__(self) -> None:
        self._cache: PerSegment[list[float]] = PerSegment(limit=512)
        self._norms: PerSegment[np.ndarray] = PerSegment(limit=512)
        self._averages: dict[str, float] = {}
        self._averaged: Any = None  # the reader those averages are of

    def average(self, searcher: Any, fieldname: str) -> float:
        """The field's average length over the whole index (``searcher``: the top searcher),
        as Whoosh's ``avg_field_length`` gives it (1 when empty), kept while the searcher's
        reader is the same: Whoosh adds up every segment's total at each call, once per term
        and segment scored (11 ms of a question at 100,000 documents in 20 segments)."""
        reader = searcher.reader()
        if reader is not self._averaged:
            self._averages, self._averaged = {}, reader
        found = self._averages.get(fieldname)
        if found is None:
            found = self._averages[fieldname] = searcher.avg_field_length(fieldname) or 1
        return found

    def lookup(self, segment_searcher: Any, fieldname: str) -> Callable[[int], float] | None:
        """``docnum -> length`` for the searcher's segment, or None when it cannot be read
        directly (the caller then keeps Whoosh's own lookup)."""
        lengths = self.column(segment_searcher, fieldname)
        return lengths.__getitem__ if lengths is not None else None

    def norms(self, segment_searcher: Any, fieldname: str, k_fixed: float, k_length: float) -> np.ndarray | None:
        """``k_fixed + k_length * length`` of each document: BM25's length normalisation,
        computed once per segment and set of statistics (the average length changes with the
        index, and the key with it)."""
        def compute(reader: Any) -> np.ndarray | None:
            lengths = self.column(segment_searcher, fieldname)
            # The same float operations as Whoosh's, element by element (numpy's float64).
            return None if lengths is None else k_fixed + k_length * np.asarray(lengths, dtype=np.float64)
        return self._norms.get(segment_searcher, f"{fieldname}:{k_fixed!r}:{k_length!r}", compute)

    def column(self, segment_searcher: Any, fieldname: str) -> list[float] | None:
        """The lengths of the field for the searcher's segment, indexed by docnum (None when
        they cannot be read directly)."""
        return self._cache.get(segment_searcher, fieldname, lambda reader: _read_lengths(reader, fieldname))


def _read_lengths(reader: Any, fieldname: str) -> list[float] | None:
    """The whole length column of one field of one segment, in one read."""
    # Private parts of whoosh 2.7.5's W3 codec: a column of one byte per document. Anything
    # else (another codec, a future version) falls back to Whoosh's per-document reads.
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        perdoc = reader._perdoc
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return [1.0] * (reader.doc_count_all() + 1)
        if column._fixedlen != 1:
            return None
        stored = column._dbfile.get(column._basepos, column._count) if column._count else b""
    except (AttributeError, ImportError, TypeError):
        return None
    lengths = [_LENGTH_OF_BYTE[b] for b in stored]
    # Documents after the last stored length have none (Whoosh's column default, byte 0).
    lengths.extend([1.0] * (reader.doc_count_all() + 1 - len(lengths)))
    return lengths

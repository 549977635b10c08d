"""BM25F with each segment's field lengths read once and kept in memory.

Whoosh's BM25F asks the segment for a document's field length at every score, and the
segment reads that one byte from its length column on disk: at 100,000 documents it was
~11 % of a search's time (1.1 million reads for 250 queries). A segment's lengths never change
(deletions only hide documents), so they are kept per segment until it is merged away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from whoosh import scoring
from whoosh.util.numeric import byte_to_length

from kb.segments import PerSegment

# Length bytes decoded once (Whoosh stores a field's length as one lossy byte). A length
# byte of 0 means "no length stored": Whoosh then scores with the default length 1.
_LENGTH_OF_BYTE = tuple(float(byte_to_length(b)) if b else 1.0 for b in range(256))


class FieldLengths:
    """Per (segment, field): each document's field length, as a list indexed by docnum."""

    def __init__(self) -> None:
        self._cache: PerSegment[list[float]] = PerSegment(limit=512)

    def lookup(self, segment_searcher: Any, fieldname: str) -> Callable[[int], float] | None:
        """``docnum -> length`` for the searcher's segment, or None when it cannot be read
        directly (the caller then keeps Whoosh's own lookup)."""
        lengths = self._cache.get(segment_searcher, fieldname, lambda reader: _read_lengths(reader, fieldname))
        return lengths.__getitem__ if lengths is not None else None


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


class CachedBM25F(scoring.BM25F):  # type: ignore[misc]
    """Whoosh's BM25F (same parameters, same scores), reading lengths from ``FieldLengths``."""

    def __init__(self, lengths: FieldLengths, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lengths = lengths

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: float = 1) -> Any:
        lookup = self._lengths.lookup(searcher, fieldname) if searcher.schema[fieldname].scorable else None
        if lookup is None:
            return super().scorer(searcher, fieldname, text, qf=qf)
        return _LengthsScorer(searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1, qf, lookup)


class _LengthsScorer(scoring.BM25FScorer):  # type: ignore[misc]
    """Whoosh's BM25F scorer, minus the term lookup its constructor makes for the term's best
    possible score: only skipping blocks needs that score (our searches score every match),
    and the posting reader looks the term up again anyway. At 100,000 documents, half of the
    time of scoring the best matches' bonus was spent creating scorers."""

    def __init__(self, searcher: Any, fieldname: str, text: Any, B: float, K1: float, qf: float,
                 dfl: Callable[[int], float]) -> None:
        parent = searcher.get_parent()  # global statistics, as Whoosh's scorer takes them
        self.idf = parent.idf(fieldname, text)
        self.avgfl = parent.avg_field_length(fieldname) or 1
        self.B, self.K1, self.qf = B, K1, qf
        self.dfl = dfl
        self._term = (searcher, fieldname, text)
        self._maxquality: float | None = None

    def max_quality(self) -> float:
        if self._maxquality is None:
            searcher, fieldname, text = self._term
            info = searcher.term_info(fieldname, text)
            self._maxquality = self._score(info.max_weight(), info.min_length())
        return self._maxquality

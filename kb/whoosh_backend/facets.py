"""Facet counts, date order and ids, read from each segment's values of a field (kept)."""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from kb.fields import FACET_FIELDS, MANY_VALUED
from kb.model import FacetValue
from kb.whoosh_backend.matching import Matched, text_of
from kb.whoosh_backend.segments import PerSegment


class FacetValues:
    """Each document's values of a facet (or sort) field, per segment, read once and kept.

    Whoosh's FieldFacet re-reads them on every search: a column's offsets for type, format
    and year, and every posting of themes and organisations (most of a faceted search's
    time at 20,000 documents)."""

    def __init__(self) -> None:
        self._cache: PerSegment[list[Any]] = PerSegment()
        self._coded: PerSegment[Coded] = PerSegment()

    def of(self, segment_searcher: Any, fieldname: str, overlap: bool) -> list[Any]:
        """The values of ``fieldname`` for each document of a segment, kept until the segment goes."""
        field = segment_searcher.schema[fieldname]
        values = self._cache.get(segment_searcher, fieldname,
                                 lambda reader: self._read(reader, field, fieldname, overlap))
        assert values is not None  # _read always returns a list
        return values

    @staticmethod
    def _read(reader: Any, field: Any, fieldname: str, overlap: bool) -> list[Any]:
        count = reader.doc_count_all()
        if not overlap and reader.has_column(fieldname):
            return list(reader.column_reader(fieldname))
        lists: list[list[Any]] = [[] for _ in range(count)]
        for btext in field.sortable_terms(reader, fieldname):
            text = field.from_bytes(btext)
            for docid in reader.postings(fieldname, btext).all_ids():
                lists[docid].append(text)
        return lists if overlap else [vals[0] if vals else None for vals in lists]

    def ids_of(self, s: Any, docnums: list[int]) -> dict[int, str]:
        """The ids of ``docnums``, read from each segment's cached id list (not from the
        stored fields, which would load every document's stored body)."""
        leaves = sorted(s.leaf_searchers(), key=lambda leaf: leaf[1])
        starts = [offset for _, offset in leaves]
        out = {}
        for docnum in docnums:
            segment_searcher, offset = leaves[bisect_right(starts, docnum) - 1]
            out[docnum] = text_of(self.of(segment_searcher, "id", False)[docnum - offset])
        return out

    def latest(self, matched: Matched, count: int, field: str = "date") -> list[tuple[int, float]]:
        """The ``count`` most recent of the matched documents by ``field`` (undated ones
        last), no score."""
        dated = ((values[d] or "", -(offset + d)) for segment_searcher, offset, ids in matched
                 for values in (self.of(segment_searcher, field, False),) for d in ids)
        return [(-negative, 0.0) for _, negative in heapq.nlargest(count, dated)]

    def coded(self, segment_searcher: Any, fieldname: str, overlap: bool) -> Coded:
        """The values of ``fieldname`` in one segment as arrays of codes (kept with the segment)."""
        def compute(reader: Any) -> Coded:
            return Coded.of(self.of(segment_searcher, fieldname, overlap), overlap)
        coded = self._coded.get(segment_searcher, fieldname, compute)
        assert coded is not None
        return coded

    def counts(self, matched: Matched, names: tuple[str, ...] = FACET_FIELDS,
               together: Sequence[Sequence[tuple[Any, int]]] = ()) -> dict[str, tuple[FacetValue, ...]]:
        """Each facet field's values over the matched documents, with their counts. Members
        of one group that matched (``together``: (segment searcher, docnum) of each) are one
        result: a value counts once for them, as ticking it would show the group once.

        Counted with numpy over each segment's value codes: a common word matches most of
        a large base, and counting its matches value by value in Python cost more than
        finding them."""
        facets: dict[str, tuple[FacetValue, ...]] = {}
        # Each segment's matches as an array once, for every facet (a common word matches
        # tens of thousands of documents per segment).
        arrays = [(segment_searcher, np.asarray(ids, dtype=np.int64)) for segment_searcher, _, ids in matched
                  if len(ids)]
        for name in names:
            overlap = name in MANY_VALUED
            counts: Counter[Any] = Counter()
            for segment_searcher, chosen in arrays:
                self.coded(segment_searcher, name, overlap).count(chosen, counts)
            for members in together:
                held: Counter[Any] = Counter()
                for segment_searcher, docnum in members:
                    value = self.of(segment_searcher, name, overlap)[docnum]
                    held.update(set(value) if overlap else (value,))
                counts.subtract({v: n - 1 for v, n in held.items() if n > 1})
            found = [FacetValue(text_of(k), n) for k, n in counts.items() if k not in (None, "", b"")]
            if name == "year":
                found.sort(key=lambda fv: fv.value, reverse=True)
            else:
                found.sort(key=lambda fv: (-fv.count, fv.value))
            facets[name] = tuple(found)
        return facets


@dataclass(frozen=True)
class Coded:
    """One segment's values of a field as integer codes: ``labels[code]`` is the value. A
    single-valued field has a code per document (-1: none); a many-valued one a code per
    (document, value) pair, ``docs[i]`` holding ``codes[i]``."""

    labels: list[Any]
    codes: np.ndarray
    docs: np.ndarray | None = None
    size: int = 0  # documents in the segment

    @classmethod
    def of(cls, values: list[Any], overlap: bool) -> Coded:
        """Codes of ``values`` (``FacetValues.of``: one value, or a list of them, per document)."""
        index: dict[Any, int] = {}
        if not overlap:
            codes = [-1 if v in (None, "", b"") else index.setdefault(v, len(index)) for v in values]
            return cls(list(index), np.asarray(codes, dtype=np.int64), None, len(values))
        docs = [d for d, vs in enumerate(values) for v in vs if v not in (None, "", b"")]
        pairs = [index.setdefault(v, len(index)) for vs in values for v in vs if v not in (None, "", b"")]
        return cls(list(index), np.asarray(pairs, dtype=np.int64), np.asarray(docs, dtype=np.int64), len(values))

    def count(self, chosen: np.ndarray, into: Counter[Any]) -> None:
        """Add to ``into`` how many of the documents ``chosen`` (distinct docnums) hold each value."""
        if not self.labels:
            return
        if self.docs is None:
            found = self.codes[chosen]
        else:
            mask = np.zeros(self.size, dtype=bool)
            mask[chosen] = True
            found = self.codes[mask[self.docs]]
        tally = np.bincount(found[found >= 0], minlength=len(self.labels))
        for code in np.flatnonzero(tally).tolist():
            into[self.labels[code]] += int(tally[code])

"""Facet counts, date order and ids, read from each segment's values of a field (kept)."""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from itertools import chain
from typing import Any

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

    def counts(self, matched: Matched, names: tuple[str, ...] = FACET_FIELDS,
               together: Sequence[Sequence[tuple[Any, int]]] = ()) -> dict[str, tuple[FacetValue, ...]]:
        """Each facet field's values over the matched documents, with their counts. Members
        of one group that matched (``together``: (segment searcher, docnum) of each) are one
        result: a value counts once for them, as ticking it would show the group once."""
        facets: dict[str, tuple[FacetValue, ...]] = {}
        for name in names:
            overlap = name in MANY_VALUED
            counts: Counter[Any] = Counter()
            for segment_searcher, _, ids in matched:
                if not ids:
                    continue
                values = self.of(segment_searcher, name, overlap)
                if overlap:
                    counts.update(chain.from_iterable(map(values.__getitem__, ids)))
                else:
                    counts.update(map(values.__getitem__, ids))
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

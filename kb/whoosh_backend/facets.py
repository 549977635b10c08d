"""Facet counts, date order and ids, read from each segment's values of a field (kept)."""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kb.fields import FACET_FIELDS, MANY_VALUED
from kb.model import FacetValue
from kb.whoosh_backend.matching import Matched, mask_of, text_of
from kb.whoosh_backend.segments import PerSegment


class FacetValues:
    """Each document's values of a facet (or sort) field, per segment, read once and kept as
    codes (``Coded``).

    Whoosh's FieldFacet re-reads them on every search: a column's offsets for type, format
    and year, and every posting of themes and organisations (most of a faceted search's
    time at 20,000 documents). Kept as one Python list of values per document they held
    a string object per document and value: 70 MB per server process at 100,000 documents."""

    def __init__(self) -> None:
        self._coded: PerSegment[Coded] = PerSegment()

    def coded(self, segment_searcher: Any, fieldname: str, overlap: bool) -> Coded:
        """The values of ``fieldname`` in one segment as codes, kept until the segment goes."""
        schema_field = segment_searcher.schema[fieldname]
        coded = self._coded.get(segment_searcher, fieldname,
                                lambda reader: Coded.read(reader, schema_field, fieldname, overlap))
        assert coded is not None  # Coded.read always returns one
        return coded

    def ids_of(self, s: Any, docnums: list[int]) -> dict[int, str]:
        """The ids of ``docnums``, read from each segment's kept ids (not from the stored
        fields, which would load every document's stored body)."""
        leaves = sorted(s.leaf_searchers(), key=lambda leaf: leaf[1])
        starts = [offset for _, offset in leaves]
        out = {}
        for docnum in docnums:
            segment_searcher, offset = leaves[bisect_right(starts, docnum) - 1]
            out[docnum] = text_of(self.coded(segment_searcher, "id", False).value(docnum - offset))
        return out

    def latest(self, matched: Matched, count: int, field: str = "date") -> list[tuple[int, float]]:
        """The ``count`` most recent of the matched documents by ``field`` (undated ones
        last, then in index order), no score."""
        candidates: list[tuple[Any, int]] = []
        for segment_searcher, offset, ids in matched:
            if not len(ids):
                continue
            coded = self.coded(segment_searcher, field, False)
            chosen = ids
            rank = coded.ranks()[coded.codes[chosen]]
            # Newest first, then the lowest docnum: each segment's share of the answer.
            best = np.lexsort((chosen, -rank))[:count]
            candidates.extend((coded.value(d) or "", -(offset + d)) for d in chosen[best].tolist())
        return [(-negative, 0.0) for _, negative in heapq.nlargest(count, candidates)]

    def counts(self, matched: Matched, names: tuple[str, ...] = FACET_FIELDS,
               together: Sequence[Sequence[tuple[Any, int]]] = ()) -> dict[str, tuple[FacetValue, ...]]:
        """Each facet field's values over the matched documents, with their counts. Members
        of one group that matched (``together``: (segment searcher, docnum) of each) are one
        result: a value counts once for them, as ticking it would show the group once.

        Counted with numpy over each segment's value codes: a common word matches most of
        a large base, and counting its matches value by value in Python cost more than
        finding them."""
        facets: dict[str, tuple[FacetValue, ...]] = {}
        # Each segment's matches as a mask once, for every many-valued facet (a common word
        # matches tens of thousands of documents per segment).
        arrays = [(segment_searcher, ids) for segment_searcher, _, ids in matched if len(ids)]
        masks: dict[int, np.ndarray] = {}
        for name in names:
            overlap = name in MANY_VALUED
            counts: Counter[Any] = Counter()
            for segment_searcher, chosen in arrays:
                coded = self.coded(segment_searcher, name, overlap)
                if not coded.labels:
                    continue
                mask = None
                if overlap:
                    mask = masks.get(id(segment_searcher))
                    if mask is None:
                        mask = masks[id(segment_searcher)] = mask_of(chosen, coded.size)
                coded.count(chosen, counts, mask)
            for members in together:
                held: Counter[Any] = Counter()
                for segment_searcher, docnum in members:
                    coded = self.coded(segment_searcher, name, overlap)
                    held.update(set(coded.values(docnum)) if overlap else (coded.value(docnum),))
                counts.subtract({v: n - 1 for v, n in held.items() if n > 1})
            found = [FacetValue(text_of(k), n) for k, n in counts.items() if k not in (None, "", b"")]
            if name == "year":
                found.sort(key=lambda fv: fv.value, reverse=True)
            else:
                found.sort(key=lambda fv: (-fv.count, fv.value))
            facets[name] = tuple(found)
        return facets


_NONE = (None, "", b"")


@dataclass(frozen=True)
class Coded:
    """One segment's values of a field as integer codes: ``labels[code]`` is the value. A
    single-valued field has a code per document (-1: none); a many-valued one a code per
    (document, value) pair, ``docs[i]`` (ascending) holding ``codes[i]``."""

    labels: list[Any]
    codes: np.ndarray
    docs: np.ndarray | None = None
    size: int = 0  # documents in the segment
    _ranks: list[np.ndarray] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def read(cls, reader: Any, schema_field: Any, fieldname: str, overlap: bool) -> Coded:
        """The codes of a segment's values: from its column for a single-valued field that
        has one, else from the postings of each of its terms (in term order)."""
        size = reader.doc_count_all()
        index: dict[Any, int] = {}
        if not overlap and reader.has_column(fieldname):
            codes = np.fromiter((-1 if v in _NONE else index.setdefault(v, len(index))
                                 for v in reader.column_reader(fieldname)), dtype=np.int32, count=size)
            return cls(list(index), codes, None, size)
        docs, pairs = [], []
        for btext in schema_field.sortable_terms(reader, fieldname):
            text = schema_field.from_bytes(btext)
            if text in _NONE:
                continue
            ids = np.fromiter(reader.postings(fieldname, btext).all_ids(), dtype=np.int32)
            docs.append(ids)
            pairs.append(np.full(len(ids), index.setdefault(text, len(index)), dtype=np.int32))
        all_docs = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
        all_codes = np.concatenate(pairs) if pairs else np.zeros(0, dtype=np.int32)
        # Stable: each document's values stay in term order.
        order = np.argsort(all_docs, kind="stable")
        all_docs, all_codes = all_docs[order], all_codes[order]
        if overlap:
            return cls(list(index), all_codes, all_docs, size)
        # One value per document: its first in term order.
        codes = np.full(size, -1, dtype=np.int32)
        first = np.ones(len(all_docs), dtype=bool)
        first[1:] = all_docs[1:] != all_docs[:-1]
        codes[all_docs[first]] = all_codes[first]
        return cls(list(index), codes, None, size)

    def value(self, doc: int) -> Any:
        """The value of document ``doc`` of a single-valued field (None: none)."""
        code = int(self.codes[doc])
        return self.labels[code] if code >= 0 else None

    def values(self, doc: int) -> list[Any]:
        """The values of document ``doc`` of a many-valued field, in term order."""
        assert self.docs is not None
        start, end = np.searchsorted(self.docs, [doc, doc + 1])
        return [self.labels[c] for c in self.codes[start:end].tolist()]

    def ranks(self) -> np.ndarray:
        """Each code's place in the order of the values (computed once), indexed by code with
        -1 (no value) ranking below every value."""
        if not self._ranks:
            order = sorted(range(len(self.labels)), key=self.labels.__getitem__)
            ranks = np.empty(len(self.labels) + 1, dtype=np.int64)
            ranks[np.asarray(order, dtype=np.int64)] = np.arange(len(order))
            ranks[-1] = -1  # codes[...] == -1 indexes the last slot
            self._ranks.append(ranks)
        return self._ranks[0]

    def count(self, chosen: np.ndarray, into: Counter[Any], mask: np.ndarray | None = None) -> None:
        """Add to ``into`` how many of the documents ``chosen`` (distinct docnums; ``mask``:
        the same as a mask, if already made) hold each value."""
        if not self.labels:
            return
        if self.docs is None:
            found = self.codes[chosen]
        else:
            found = self.codes[(mask_of(chosen, self.size) if mask is None else mask)[self.docs]]
        tally = np.bincount(found[found >= 0], minlength=len(self.labels))
        held = np.flatnonzero(tally)
        labels = self.labels
        for code, n in zip(held.tolist(), tally[held].tolist(), strict=True):
            into[labels[code]] += n

"""Groups of copies and versions (``kb.kinship``) shown as one result: counted once, and
listed once at the place of their best member."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import numpy as np

from kb.whoosh_backend.facets import FacetValues
from kb.whoosh_backend.matching import Matched, text_of
from kb.whoosh_backend.segments import PerSegment

Together = list[list[tuple[Any, int]]]  # per group matched more than once: (segment searcher, docnum) of each


class Folding:
    """Folds matches and rankings by group, reading ids from ``values``; what each segment
    holds of the groups is kept for each state of them (its ``name``)."""

    def __init__(self, values: FacetValues) -> None:
        self._values = values
        self._groups_of: PerSegment[dict[int, str]] = PerSegment()

    def collapsed(self, s: Any, ranked: list[tuple[int, float]], grouping: Mapping[str, str],
                  matched: Matched) -> list[tuple[int, float]]:
        """``ranked`` with each group (``grouping``: grouped id -> its group's leader) once, at
        the place of its best member, shown by its leader when the leader matched too, even
        ranked deeper than ``ranked`` goes (else a page would show a member that the full
        ranking shows by its leader)."""
        ids = self._values.ids_of(s, [d for d, _ in ranked])
        docnum_of = {doc_id: d for d, doc_id in ids.items()}
        seen: set[str] = set()
        kept = []
        for docnum, score in ranked:
            group = grouping.get(ids[docnum])
            if group is None:
                kept.append((docnum, score))
            elif group not in seen:
                seen.add(group)
                leader = docnum_of.get(group)
                if leader is None:
                    leader = _matched_docnum(s, group, matched)
                kept.append((docnum if leader is None else leader, score))
        return kept

    def folded(self, matched: Matched, grouping: Mapping[str, str], name: str) -> tuple[int, Together]:
        """How many results ``matched`` makes once each group is one (the total), and the
        members of each group that matched more than once (for the facet counts). Only the
        grouped documents of each segment are looked at (kept per segment for this state of
        the groups)."""
        members_of: dict[str, list[tuple[Any, int]]] = {}
        total = 0
        for segment_searcher, _offset, ids in matched:
            total += len(ids)
            members = self._groups_of.get(segment_searcher, name,
                                          partial(self._segment_groups, segment_searcher, grouping))
            if not members or not len(ids):
                continue
            docnums = np.fromiter(members, dtype=np.int64, count=len(members))
            for docnum in docnums[np.isin(docnums, ids, assume_unique=True)].tolist():
                members_of.setdefault(members[docnum], []).append((segment_searcher, docnum))
        together = [m for m in members_of.values() if len(m) > 1]
        return total - sum(len(m) - 1 for m in together), together

    def _segment_groups(self, segment_searcher: Any, grouping: Mapping[str, str], reader: Any) -> dict[int, str]:
        """The grouped documents of one segment: docnum -> group."""
        coded = self._values.coded(segment_searcher, "id", False)
        groups = {code: grouping[doc_id] for code, label in enumerate(coded.labels)
                  if (doc_id := text_of(label)) in grouping}
        if not groups:
            return {}
        docs = np.flatnonzero(np.isin(coded.codes, np.fromiter(groups, dtype=np.int64, count=len(groups))))
        return {d: groups[code] for d, code in zip(docs.tolist(), coded.codes[docs].tolist(), strict=True)}


def _matched_docnum(s: Any, doc_id: str, matched: Matched) -> int | None:
    """The docnum of ``doc_id`` when the search matched it, else None."""
    docnum = s.document_number(id=doc_id)
    if docnum is None:
        return None
    for _segment_searcher, offset, ids in matched:
        local = docnum - offset
        at = int(np.searchsorted(ids, local))
        if at < len(ids) and ids[at] == local:
            return int(docnum)
    return None

"""The bonus of the best matches (words close together, words in headings and summary), scored
at those documents from decoded posting lists.

Whoosh's matchers reach a chosen document by walking every block header before it: on a
large segment, scoring the bonus of the best 100 matches read most of each word's list, most
of a question's time at 100,000 documents. Here each word's list is decoded whole (and kept
when long, ``caches.DecodedPostings``), the chosen documents are found in it with a binary
search, and positions are read from the blocks that hold them only (``scoring.phrase_at``).
Scores are Whoosh's BM25F (the same statistics and formula as ``scoring.accumulate``). Any
other part of the bonus is scored by ``matching.scores_of``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from kb.whoosh_backend.caches import DecodedPostings
from kb.whoosh_backend.internals.lengths import FieldLengths
from kb.whoosh_backend.matching import scores_of
from kb.whoosh_backend.query import AnyOf
from kb.whoosh_backend.scoring import bm25, bm25_norms, locate, phrase_at, plain_phrase, term_list

Scores = list[tuple[int, float]]


class BonusScorer:
    """Scores a bonus query at chosen documents (``scores``)."""

    def __init__(self, lengths: FieldLengths, postings: DecodedPostings | None) -> None:
        self._lengths = lengths
        self._postings = postings

    def scores(self, s: Any, query: wq.Query, docnums: list[int]) -> dict[int, float]:
        """``query``'s score for each of ``docnums`` (sorted, none deleted: the best matches)
        it matches: the sum of the scores of the parts of a top-level union (as Whoosh's
        union scores)."""
        parts = list(query.subqueries) if type(query) in (wq.Or, AnyOf) and query.boost == 1.0 else [query]
        out: dict[int, float] = {}
        others: list[wq.Query] = []
        weighting = s.weighting if isinstance(s.weighting, scoring.BM25F) else None
        segments = self.segments(s, docnums)
        for part in parts:
            found = self._whole_part(s, part, segments, weighting) if weighting is not None and _simple(part) else None
            if found is None:
                others.append(part)
                continue
            for d, score in found:
                out[d] = out.get(d, 0.0) + score
        if others:
            # Parts scored by Whoosh's matchers (a field without positions, another codec...).
            for d, score in scores_of(s, AnyOf(others) if len(others) > 1 else others[0], docnums).items():
                out[d] = out.get(d, 0.0) + score
        return out

    @staticmethod
    def segments(s: Any, docnums: list[int]) -> list[tuple[Any, int, np.ndarray]]:
        """Each segment's share of ``docnums``: (segment searcher, offset, local docnums),
        found once for every part of the bonus."""
        out = []
        for segment_searcher, offset in s.leaf_searchers():
            end = offset + segment_searcher.doc_count_all()
            local = [d - offset for d in docnums if offset <= d < end]
            if local:
                out.append((segment_searcher, offset, np.asarray(local, dtype=np.int64)))
        return out

    def _whole_part(self, s: Any, part: wq.Query, segments: list[tuple[Any, int, np.ndarray]],
                    weighting: scoring.BM25F) -> Scores | None:
        """One part's scores at the chosen documents of every segment (``segments``: segment
        searcher, offset, local docnums); None when a segment cannot be read this way (the part
        is then scored by Whoosh's matchers, whole)."""
        out: Scores = []
        for segment_searcher, offset, local in segments:
            found = self._part(s, segment_searcher, part, local, weighting)
            if found is None:
                return None
            out.extend((offset + d, score) for d, score in found)
        return out

    def _part(self, s: Any, segment_searcher: Any, part: wq.Query, local: np.ndarray,
              weighting: scoring.BM25F) -> Scores | None:
        if type(part) is wq.Phrase:
            found = phrase_at(s, segment_searcher, part, self._lengths, weighting, self._postings, local)
            return None if found is None else list(zip(found[0].tolist(), found[1].tolist(), strict=True))
        reader = segment_searcher.reader()
        field = part.fieldname
        schema = segment_searcher.schema
        if field not in schema:
            return []
        text = schema[field].to_bytes(part.text)
        found_list = term_list(reader, field, text, self._postings)
        if not len(found_list):
            return []
        at, keep = locate(found_list.ids, local)
        chosen = local[keep]
        if not len(chosen):
            return []
        norm = bm25_norms(s, segment_searcher, field, self._lengths, weighting)
        if norm is None:
            return None
        total = bm25(s, field, text, weighting, 1.0, found_list.float64s(at[keep]), norm[chosen]) * part.boost
        return list(zip(chosen.tolist(), total.tolist(), strict=True))


def _simple(part: wq.Query) -> bool:
    """A word, or a phrase of words, in one field: what ``BonusScorer`` scores itself."""
    if type(part) is wq.Term:
        return isinstance(part.text, str)
    return plain_phrase(part)

"""Any-word queries scored a whole posting list at a time, with numpy.

The scores are Whoosh's (BM25F with the same statistics); the posting lists, the deletions
and the field lengths are read through ``internals``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from kb.whoosh_backend.caches import DecodedPostings
from kb.whoosh_backend.internals.arrays import PostingList, read_list
from kb.whoosh_backend.internals.bm25 import field_b
from kb.whoosh_backend.internals.lengths import FieldLengths
from kb.whoosh_backend.internals.postings import deleted_docs

TermClauses = list[list[Any]]  # per clause, its whoosh Term queries (a word in title and body, synonyms)


def clause_terms(clauses: tuple[Any, ...]) -> TermClauses | None:
    """The Term queries of each clause, when every clause is made of single terms only (no
    phrase): the queries ``accumulate`` can score. None otherwise."""
    def flat(q: Any) -> list[Any]:
        # A union's score is the sum of its parts' (nested unions included): flatten them.
        if isinstance(q, wq.Or) and q.boost == 1.0:
            return [t for sub in q.subqueries for t in flat(sub)]
        return [q]

    out: TermClauses = []
    for clause in clauses:
        subs = flat(clause)
        if not subs or not all(type(t) is wq.Term for t in subs):
            return None
        out.append(subs)
    return out


def within_budget(searcher: Any, clauses: TermClauses, budget: int) -> TermClauses:
    """``clauses`` whose posting lists hold at most ``budget`` postings together: when there are
    more, the most common clauses are left out (they weigh least, BM25's idf) and the rarest
    kept, at least one. Bounds the work of a pasted paragraph of common words."""
    def size(terms: list[Any]) -> int:
        total = 0
        for t in terms:
            field = searcher.schema[t.fieldname] if t.fieldname in searcher.schema else None
            if field is not None:
                total += searcher.doc_frequency(t.fieldname, field.to_bytes(t.text))
        return total

    sizes = [size(terms) for terms in clauses]
    if sum(sizes) <= budget:
        return clauses
    kept: set[int] = set()
    total = 0
    for i in sorted(range(len(clauses)), key=lambda i: sizes[i]):
        if kept and total + sizes[i] > budget:
            break
        kept.add(i)
        total += sizes[i]
    return [terms for i, terms in enumerate(clauses) if i in kept]


@dataclass(frozen=True)
class Scored:
    """One segment's matches of a union of clauses: docnums (ascending, deleted and filtered-out
    documents left out), the score of each and the number of clauses each holds."""

    segment: Any  # the segment's searcher
    offset: int
    ids: np.ndarray  # int64
    scores: np.ndarray  # float64
    held: np.ndarray  # int64


def accumulate(searcher: Any, clauses: TermClauses, lengths: FieldLengths, weighting: scoring.BM25F,
               allowed: Callable[[Any], np.ndarray | None], postings: DecodedPostings | None = None,
               fast: bool = True) -> list[Scored]:
    """Per segment, the union of ``clauses`` scored: deleted documents left out and, when
    ``allowed(segment_searcher)`` gives an array of docnums, only those documents.

    The scores are Whoosh's (BM25F with the same statistics, times each term's boost, summed
    over the terms a document holds, in the same order). Each posting list is read whole into
    arrays (``internals.arrays``, kept in ``postings`` when long) and scored with numpy, into
    one array of scores per segment: Whoosh's union matcher costs several method calls per
    document and per term. ``fast=False`` scores every term with Whoosh's own matcher and
    scorer instead (the reference the fast path is tested against)."""
    out = []
    for segment_searcher, offset in searcher.leaf_searchers():
        reader = segment_searcher.reader()
        count = reader.doc_count_all()
        scores = np.zeros(count)
        held = np.zeros(count, dtype=np.int64)
        for terms in clauses:
            holds = np.zeros(count, dtype=bool)
            for term in terms:
                found = _term_scores(searcher, segment_searcher, reader, term, lengths, weighting, postings, fast)
                if found is not None:
                    ids, contribution = found
                    scores[ids] += contribution
                    holds[ids] = True
            held += holds
        keep = held > 0
        deleted = deleted_docs(reader)
        if deleted:
            keep[np.fromiter(deleted, dtype=np.int64, count=len(deleted))] = False
        allow = allowed(segment_searcher)
        if allow is not None:
            permitted = np.zeros(count, dtype=bool)
            permitted[allow] = True
            keep &= permitted
        ids = np.flatnonzero(keep)
        out.append(Scored(segment_searcher, offset, ids, scores[ids], held[ids]))
    return out


def _term_scores(searcher: Any, segment_searcher: Any, reader: Any, term: Any, lengths: FieldLengths,
                 weighting: scoring.BM25F, postings: DecodedPostings | None,
                 fast: bool) -> tuple[np.ndarray, np.ndarray] | None:
    """(docnums, BM25F score) of one term in one segment, deleted documents included; None
    when the segment does not hold it."""
    field = term.fieldname
    schema = segment_searcher.schema
    if field not in schema:
        return None
    text = schema[field].to_bytes(term.text)
    norm = bm25_norms(searcher, segment_searcher, field, lengths, weighting) if fast else None
    if norm is None:
        m = term.matcher(segment_searcher, searcher.context())
        ids: list[int] = []
        scored: list[float] = []
        while m.is_active():
            ids.append(m.id())
            scored.append(m.score())
            m.next()
        return np.asarray(ids, dtype=np.int64), np.asarray(scored, dtype=np.float64)
    found = term_list(reader, field, text, postings)
    if not len(found):
        return None
    return found.ids, bm25(searcher, field, text, weighting, term.boost, found.float64s(), norm[found.ids])


def bm25_norms(searcher: Any, segment_searcher: Any, field: str, lengths: FieldLengths,
               weighting: scoring.BM25F) -> np.ndarray | None:
    """``K1 * ((1 - B) + B * length / average length)`` of each document of one segment: the
    length part of Whoosh's BM25F, rearranged (None when the lengths cannot be read directly)."""
    B = field_b(weighting, field)
    K1 = weighting.K1
    avgfl = lengths.average(searcher.get_parent(), field)
    return lengths.norms(segment_searcher, field, K1 * (1 - B), K1 * B / avgfl)


def bm25(searcher: Any, field: str, text: bytes, weighting: scoring.BM25F, boost: float, tf: np.ndarray,
         norm: np.ndarray) -> np.ndarray:
    """Whoosh's ``bm25(idf, tf, fl, avgfl, B, K1) * boost`` for term frequencies ``tf`` and the
    ``bm25_norms`` of their documents, rearranged (the same floats as scoring one by one)."""
    top = searcher.get_parent().idf(field, text) * (weighting.K1 + 1) * boost  # Whoosh multiplies by the boost
    result: np.ndarray = (top * tf) / (tf + norm)
    return result


def term_list(reader: Any, field: str, text: bytes, postings: DecodedPostings | None) -> PostingList:
    """The posting list of ``text`` in one segment's ``field``, decoded whole (kept in
    ``postings`` when long); empty when the segment does not hold it."""
    segment = reader.segment() if hasattr(reader, "segment") else None

    def read() -> PostingList:
        return read_list(reader, field, text)

    if postings is not None and segment is not None:
        found: PostingList = postings.get((segment.segment_id(), field, text), read)
        return found
    return read()

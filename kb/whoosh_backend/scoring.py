"""Any-word queries scored a posting block at a time.

The scores are Whoosh's (BM25F with the same statistics); the posting blocks, the deletions
and the field lengths are read through ``internals``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from whoosh import query as wq
from whoosh import scoring
from whoosh.reading import TermNotFound

from kb.whoosh_backend.internals.bm25 import field_b
from kb.whoosh_backend.internals.lengths import FieldLengths
from kb.whoosh_backend.internals.postings import blocks, deleted_docs, unfiltered

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


def accumulate(searcher: Any, clauses: TermClauses, lengths: FieldLengths, weighting: scoring.BM25F,
               allowed: Callable[[Any], set[int] | None]) -> list[tuple[Any, int, dict[int, float], dict[int, int]]]:
    """Per segment: (segment searcher, offset, score of each matching docnum, number of clauses
    it holds) for the union of ``clauses``, deleted documents left out and, when
    ``allowed(segment_searcher)`` gives a set, only those documents.

    The scores are Whoosh's (BM25F with the same statistics, times each term's boost, summed
    over the terms a document holds), computed from the posting blocks' id and weight arrays
    in one loop per term: Whoosh's union matcher costs several method calls per document and
    per term, which made a two-word query four times slower than both words together."""
    out = []
    for segment_searcher, offset in searcher.leaf_searchers():
        reader = segment_searcher.reader()
        deleted = deleted_docs(reader)
        allow = allowed(segment_searcher)
        scores: dict[int, float] = {}
        held: dict[int, int] = {}
        for terms in clauses:
            docs: set[int] = set()
            for term in terms:
                _add_term(searcher, segment_searcher, reader, term, lengths, weighting, scores, docs)
            for d in docs:
                held[d] = held.get(d, 0) + 1
        drop = deleted | (set(scores) - allow if allow is not None else set())
        for d in drop:
            scores.pop(d, None)
            held.pop(d, None)
        out.append((segment_searcher, offset, scores, held))
    return out

def _add_term(searcher: Any, segment_searcher: Any, reader: Any, term: Any, lengths: FieldLengths,
              weighting: scoring.BM25F, scores: dict[int, float], docs: set[int]) -> None:
    field = term.fieldname
    schema = segment_searcher.schema
    if field not in schema:
        return
    text = schema[field].to_bytes(term.text)
    try:
        matcher = reader.postings(field, text)
    except TermNotFound:
        return
    matcher = unfiltered(matcher)  # deletions: removed by the caller
    parent = searcher.get_parent()
    B = field_b(weighting, field)
    K1 = weighting.K1
    avgfl = parent.avg_field_length(field) or 1
    # bm25(idf, tf, fl, avgfl, B, K1) * boost, as whoosh.scoring computes it, rearranged.
    norm = lengths.norms(segment_searcher, field, K1 * (1 - B), K1 * B / avgfl)
    found = blocks(matcher)
    if norm is None or found is None:
        # Anything but whoosh 2.7.5's W3 postings: Whoosh's own matcher and scorer.
        m = term.matcher(segment_searcher, searcher.context())
        while m.is_active():
            d = m.id()
            scores[d] = scores.get(d, 0.0) + m.score()
            docs.add(d)
            m.next()
        return
    top = parent.idf(field, text) * (K1 + 1) * term.boost  # Whoosh multiplies by the boost
    get = scores.get
    for ids, weights in found:
        docs.update(ids)
        for d, tf in zip(ids, weights, strict=True):
            scores[d] = get(d, 0.0) + (top * tf) / (tf + norm[d])


"""Similar documents ("more like this"): the key terms of a document, searched in the others."""

from __future__ import annotations

from collections import defaultdict
from math import log
from typing import Any

import numpy as np
from whoosh import query as wq

from kb.analysis import Analyzer
from kb.strategy import best_first, proper_nouns
from kb.whoosh_backend.caches import DecodedPostings, Frequencies
from kb.whoosh_backend.finding import best_of
from kb.whoosh_backend.internals.lengths import FieldLengths
from kb.whoosh_backend.matching import scores_of
from kb.whoosh_backend.query import AnyOf
from kb.whoosh_backend.scoring import TermClauses, accumulate

SIMILAR_SCAN = 200_000  # characters of a document read for its key terms
SIMILAR_TERMS = 20  # key terms, searched in the body: 30 in title+body cost 3x for the same precision@3
SIMILAR_CANDIDATE_TERMS = 8  # strongest key terms that find the candidates...
SIMILAR_CANDIDATES = 20  # ...then ranked by all the key terms


def similar_in(s: Any, analyzer: Analyzer, doc_id: str, limit: int, lengths: FieldLengths | None = None,
               postings: DecodedPostings | None = None,
               frequencies: Frequencies | None = None) -> list[tuple[int, float]]:
    """The ``limit`` best (docnum, score) of the documents like ``doc_id``, never itself.

    With ``lengths``, the key terms' posting lists are scored whole with numpy
    (``scoring.accumulate``, lists kept in ``postings``) and the key terms weighed with the
    collection frequencies kept in ``frequencies``; without, by Whoosh's expander and matchers
    (the reference the fast path is tested against). Whoosh's union walked every match of the
    eight strongest key terms in Python: 0.1 s per document page at 100,000 documents."""
    docnum = s.document_number(id=doc_id)
    if docnum is None:
        return []
    stored = s.stored_fields(docnum)
    body = stored.get("body", "")[:SIMILAR_SCAN]
    text = "\n".join([stored.get("title", "")] * 3 + [stored.get("summary", ""), body])
    names = proper_nouns(analyzer, stored.get("title", "") + "\n" + body)
    if lengths is None:
        weighed = s.key_terms_from_text("body", text, numterms=SIMILAR_TERMS * 2)
    else:
        weighed = key_terms(s, "body", text, SIMILAR_TERMS * 2,
                            frequencies if frequencies is not None else Frequencies())
    keys = [(t, w) for t, w in weighed if t not in names][:SIMILAR_TERMS]
    if not keys:
        return []
    top = max(w for _, w in keys)
    terms = [wq.Term("body", t, boost=w / top) for t, w in keys]
    # Candidates from the strongest key terms, ranked by all of them: an OR of the 20
    # took 0.65 s per document on a 100,000-document base, this 0.18 s; 8 terms alone ranked
    # worse (precision@3 0.515 against 0.591, bench/relevance; 6 terms and 30 candidates
    # gave 0.561).
    if lengths is not None:
        return _similar_fast(s, terms, docnum, limit, lengths, postings)
    found = s.search(AnyOf(terms[:SIMILAR_CANDIDATE_TERMS]), limit=SIMILAR_CANDIDATES, mask={docnum})
    if found.scored_length() < limit:  # strongest terms too rare to fill the list: candidates from all
        found = s.search(AnyOf(terms), limit=SIMILAR_CANDIDATES, mask={docnum})
    candidates = sorted(hit.docnum for hit in found)
    scores = scores_of(s, AnyOf(terms), candidates)
    return sorted(scores.items(), key=best_first)[:limit]


def key_terms(s: Any, field: str, text: str, number: int, frequencies: Frequencies) -> list[tuple[str, float]]:
    """The ``number`` key terms of ``text`` and their weights, as Whoosh's
    ``Searcher.key_terms_from_text`` with its Bo1 model gives them (same terms, weights and
    order of ties), each term's collection frequency looked up once in each segment (Whoosh
    asks whether a segment holds the term, then its frequency in every segment) and kept in
    ``frequencies``."""
    reader = s.ixreader
    in_text: dict[bytes, float] = defaultdict(float)
    for term, _, weight, _ in s.schema[field].index(text):
        in_text[term] += weight
    count = reader.doc_count_all()
    scored: list[tuple[float, str]] = []
    best = 0.0
    for term, weight in in_text.items():
        in_collection = frequencies.of(reader, field, term)
        if in_collection is None:
            continue
        f = in_collection / count  # Bo1: whoosh.classify.Bo1Model.score
        score = weight * log((1.0 + f) / f, 2) + log(1.0 + f, 2)
        best = max(best, score)
        scored.append((score, term.decode("utf-8")))
    if not best:
        return []
    f = best / count  # Bo1Model.normalizer
    norm = (best * log((1.0 + f) / f) + log(1.0 + f)) / log(2.0)
    ranked = sorted(((score / norm, word) for score, word in scored), key=lambda x: (0 - x[0], x[1]))
    return [(word, weight) for weight, word in ranked[:number]]


def _similar_fast(s: Any, terms: list[wq.Term], docnum: int, limit: int, lengths: FieldLengths,
                  postings: DecodedPostings | None) -> list[tuple[int, float]]:
    """``similar_in``'s candidates and ranking, each posting list scored whole."""
    clauses: TermClauses = [[t] for t in terms]
    candidates = _best(s, clauses[:SIMILAR_CANDIDATE_TERMS], docnum, lengths, postings)
    if len(candidates) < limit:
        candidates = _best(s, clauses, docnum, lengths, postings)
    if not candidates:
        return []
    scored = accumulate(s, clauses, lengths, s.weighting, _only(s, candidates), postings)
    scores = {int(d) + part.offset: float(score) for part in scored
              for d, score in zip(part.ids.tolist(), part.scores.tolist(), strict=True)}
    return sorted(scores.items(), key=best_first)[:limit]


def _best(s: Any, clauses: TermClauses, docnum: int, lengths: FieldLengths,
          postings: DecodedPostings | None) -> list[int]:
    """The ``SIMILAR_CANDIDATES`` documents (but ``docnum``) with the best scores of the union
    of ``clauses``, in ``best_first`` order (``finding.best_of`` with one clause)."""
    found = accumulate(s, clauses, lengths, s.weighting, lambda _segment: None, postings)
    best = best_of(found, 1, False, SIMILAR_CANDIDATES + 1)
    return [d for d, _, _ in best if d != docnum][:SIMILAR_CANDIDATES]


def _only(s: Any, docnums: list[int]) -> Any:
    """``accumulate``'s ``allowed``: each segment's share of ``docnums`` (local numbers)."""
    chosen = np.asarray(sorted(docnums), dtype=np.int64)
    shares = {id(segment): chosen[(chosen >= offset) & (chosen < offset + segment.doc_count_all())] - offset
              for segment, offset in s.leaf_searchers()}
    return lambda segment: shares[id(segment)]

"""Every match of a query (for the count and the facets) and its best matches, ranked."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any

import numpy as np
from whoosh import collectors
from whoosh import query as wq

from kb.model import SearchRequest
from kb.strategy import COORD_POWER, DATE_SORTS, RERANK_DEPTH, page_of, reranked
from kb.whoosh_backend.bonus import BonusScorer
from kb.whoosh_backend.caches import DecodedPostings
from kb.whoosh_backend.facets import FacetValues
from kb.whoosh_backend.internals.lengths import FieldLengths
from kb.whoosh_backend.matching import (
    Found,
    Matched,
    Recorder,
    clauses_held,
    docnums_of,
    highlighted,
    matched_docs,
    scores_of,
    top_scored,
    without_terms,
)
from kb.whoosh_backend.query import BuiltQuery
from kb.whoosh_backend.scoring import (
    Scored,
    TermClauses,
    accumulate,
    clause_terms,
    plain_phrase,
    within_budget,
    words_of,
)

# Postings scored for one query of words (about 1 µs each): beyond, the most common words are
# left out (a pasted paragraph of common words would otherwise read most of the index).
MAX_POSTINGS = 150_000


class Finder:
    """Finds and ranks matches, reading dates from ``values`` and field lengths from ``lengths``.

    ``fast``: words typed side by side are scored with numpy over decoded posting lists (kept
    in ``postings``); False scores them with Whoosh's matchers (the reference path, slower)."""

    def __init__(self, values: FacetValues, lengths: FieldLengths, postings: DecodedPostings | None = None,
                 fast: bool = True) -> None:
        self._values = values
        self._lengths = lengths
        self._postings = postings
        self._bonus = BonusScorer(lengths, postings)
        self.fast = fast

    def find(self, s: Any, built: BuiltQuery | None, request: SearchRequest,
             filter_q: wq.Query | None, deepest: int = 0) -> Found:
        """Every match (for the count and the facets) and the requested page.

        Words typed side by side (the common case) are scored a posting block at a time
        (``scoring.accumulate``): every match gets its BM25F score times the share of the
        query's words it holds. Other queries are scored by Whoosh's matchers: with two or
        three words plus a strict part, the documents holding all the words
        (``built.strong``) are scored alone when they fill the page and the rest are counted
        from the posting lists (``matched_docs``). The best ``RERANK_DEPTH`` then get
        ``built.bonus`` (words close together, in headings), computed for them alone."""
        query = built.query if built is not None else wq.NullQuery
        by_date = request.sort in DATE_SORTS
        bonus = built.bonus if built is not None and not by_date else None
        clauses = built.clauses if built is not None else ()
        all_first = built is not None and built.all_first
        # ``deepest``: rank at least this many (a page that folding groups left short).
        wanted = max(request.page * request.page_size, deepest)
        depth = max(wanted, RERANK_DEPTH) if (bonus is not None or clauses) else wanted
        plain = clause_terms(clauses) if built is not None and built.only_clauses else None
        if plain is not None:
            return self._find_any(s, plain, bonus, all_first, request, filter_q, depth,
                                  highlighted(query, bonus))
        phrase = quoted_phrase(query) if self.fast and bonus is None and not clauses else None
        if phrase is not None:
            return self._find_any(s, [phrase], None, False, request, filter_q, depth, highlighted(query))
        if by_date:
            clauses = ()
        strong = built.strong if built is not None and not by_date else None
        ranked: list[tuple[int, float]] = []
        strong_total = -1
        matched = None
        if strong is not None:
            ranked = top_scored(s, strong, filter_q, depth)
            strong_total = len(ranked)
            if all_first and strong_total >= wanted:
                # The page holds documents with every word only: the others are counted, not scored.
                matched = matched_docs(s, query, filter_q, self._postings)
                clauses = ()  # every candidate holds every clause: coordination changes nothing
        if matched is None:
            top = collectors.UnsortedCollector() if by_date else collectors.TopCollector(
                limit=depth, usequality=False, replace=0)
            recorder = Recorder(top)
            collector = collectors.FilterCollector(recorder, allow=filter_q) if filter_q is not None else recorder
            s.search_with_collector(query, collector)
            matched = recorder.matched
            if by_date:
                ranked = self._values.latest(matched, depth, DATE_SORTS[request.sort])
            else:
                seen = {d for d, _ in ranked}
                ranked += [(hit.docnum, float(hit.score or 0.0)) for hit in collector.results()
                           if hit.docnum not in seen]
        total = sum(len(ids) for _, _, ids in matched)
        if ranked and (len(clauses) > 1 or bonus is not None):
            extra = self._bonus_of(s, bonus, ranked) if bonus is not None else {}
            holds = clauses_held(s, ranked, clauses) if len(clauses) > 1 else {}
            ranked = reranked(ranked, holds, len(clauses), extra, all_first)
        return Found(total, page_of(ranked, total, request), matched, highlighted(query, bonus),
                      total if strong_total < 0 else strong_total, ranked)

    def _bonus_of(self, s: Any, bonus: wq.Query, ranked: list[tuple[int, float]]) -> dict[int, float]:
        docnums = sorted(d for d, _ in ranked)
        return self._bonus.scores(s, bonus, docnums) if self.fast else scores_of(s, bonus, docnums)

    def _find_any(self, s: Any, plain: TermClauses, bonus: wq.Query | None, all_first: bool,
                  request: SearchRequest, filter_q: wq.Query | None, depth: int,
                  terms: frozenset[str]) -> Found:
        """``find`` for words typed side by side: every match scored in bulk (within
        ``MAX_POSTINGS``, the most common words left out beyond it)."""
        kept = within_budget(s, plain, MAX_POSTINGS)
        if len(kept) < len(plain):
            dropped = {w for terms in plain if terms not in kept for t in terms for w in words_of(t)}
            bonus = without_terms(bonus, dropped)
            plain = kept
        context = s.context()
        allowed = ((lambda seg: docnums_of(seg, filter_q, context, self._postings)) if filter_q is not None
                   else (lambda seg: None))
        found = accumulate(s, plain, self._lengths, s.weighting, allowed, self._postings, self.fast)
        matched: Matched = [(part.segment, part.offset, part.ids) for part in found]
        total = sum(len(part.ids) for part in found)
        n = len(plain)
        strong = sum(int(np.count_nonzero(part.held == n)) for part in found)
        if request.sort in DATE_SORTS:
            latest = self._values.latest(matched, depth, DATE_SORTS[request.sort])
            return Found(total, page_of(latest, total, request), matched, terms, strong, latest)
        best = best_of(found, n, all_first, depth)
        ranked = [(docnum, score) for docnum, score, _ in best]
        holds = {docnum: h for docnum, _, h in best} if n > 1 else {}
        extra = self._bonus_of(s, bonus, ranked) if bonus is not None and ranked else {}
        ranked = reranked(ranked, holds, n, extra, all_first)
        return Found(total, page_of(ranked, total, request), matched, terms, strong, ranked)


def quoted_phrase(query: wq.Query) -> list[wq.Phrase] | None:
    """A quoted phrase alone, as the query builder makes it, as one clause for ``accumulate``:
    the phrase in the body, maybe scored again in the title (``AndMaybe``). As a union it
    matches the same documents (the body starts with the title's terms, ``prepare.analyze``)
    with the same scores (the body's, plus the title's where it matches). Else None."""
    if plain_phrase(query):
        return [query]
    if type(query) is wq.AndMaybe and plain_phrase(query.a) and plain_phrase(query.b) and query.boost == 1.0:
        return [query.a, query.b]
    return None


def best_of(found: list[Scored], n: int, all_first: bool, depth: int) -> list[tuple[int, float, int]]:
    """The ``depth`` best (docnum, score, clauses held) of ``found``, ordered by: holding all
    ``n`` clauses first (with ``all_first``), then the score scaled by the share of clauses
    held (coordination, compared to 9 decimals), then the older document.

    numpy picks a short list (every document whose coordinated score comes within 1e-8 of
    the ``depth``-th best), and the exact order is decided in Python on that list alone, with
    the same float operations and rounding as scoring each match in Python did."""
    if not found:
        return []
    docnums = np.concatenate([part.ids + part.offset for part in found])
    scores = np.concatenate([part.scores for part in found])
    held = np.concatenate([part.held for part in found])
    if not len(docnums):
        return []
    coordinated = scores * (held / n) ** COORD_POWER if n > 1 else scores
    first = held == n if all_first and n > 1 else np.zeros(len(docnums), dtype=bool)
    chosen = _best_within(np.flatnonzero(first), coordinated, depth)
    if len(chosen) < depth:
        chosen = np.concatenate([chosen, _best_within(np.flatnonzero(~first), coordinated, depth - len(chosen))])

    def candidates() -> Iterator[tuple[bool, float, int, int, float, int]]:
        for i in chosen.tolist():
            docnum, score, h = int(docnums[i]), float(scores[i]), int(held[i])
            coord = score * (h / n) ** COORD_POWER if n > 1 else score
            yield bool(first[i]), round(coord, 9), -docnum, docnum, score, h

    return [(docnum, score, h) for _, _, _, docnum, score, h in heapq.nlargest(depth, candidates())]


def _best_within(positions: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """The positions among ``positions`` whose value may rank in the ``k`` best once
    rounded: every one within 1e-8 of the ``k``-th largest (rounding to 9 decimals moves a
    value by 5e-10 at most)."""
    if k <= 0 or not len(positions):
        return positions[:0]
    if len(positions) <= k:
        return positions
    vals = values[positions]
    kth = np.partition(vals, len(vals) - k)[len(vals) - k]
    chosen: np.ndarray = positions[vals >= kth - 1e-8]
    return chosen

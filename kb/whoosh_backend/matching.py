"""Which documents a Whoosh query matches, and their scores at chosen documents.

Matches are read as sets of posting lists where the score is not needed, and scores are
computed at the documents that need one (the best matches' bonus), never by enumerating
every match of a query.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np
from whoosh import collectors
from whoosh import query as wq

from kb.sections import SECTION_PREFIX
from kb.whoosh_backend.caches import DecodedPostings
from kb.whoosh_backend.internals.phrase import matcher_scores, phrase_scores
from kb.whoosh_backend.internals.postings import deleted_docs
from kb.whoosh_backend.query import MATCH_FIELD, TITLE_FIELD, AnyOf
from kb.whoosh_backend.scoring import phrase_docs, plain_phrase, term_list

_NONE = np.zeros(0, dtype=np.int64)
Matched = list[tuple[Any, int, np.ndarray]]  # per segment: searcher, offset, matched docnums (sorted int64)


@dataclass(frozen=True)
class Found:
    """What a search found: every match (for the count and the facets) and the best ones."""

    total: int
    page: list[tuple[int, float]]  # (docnum, score) of the requested page, best first
    matched: Matched  # per segment: searcher, offset, matched docnums
    terms: frozenset[str]  # indexed terms to highlight
    strong: int = 0  # documents holding every clause (up to the rerank depth), or total
    ranked: list[tuple[int, float]] = dataclass_field(default_factory=list)  # the best, as deep as was ranked


class Recorder(collectors.WrappingCollector):  # type: ignore[misc]
    """Passes every match to its child collector and keeps its number, per segment, for the
    count and the facets (Whoosh's grouping asks a categorizer per document and per facet)."""

    def prepare(self, top_searcher: Any, q: Any, context: Any) -> None:
        """Start a search: no match recorded yet."""
        super().prepare(top_searcher, q, context)
        self._segments: list[tuple[Any, int, list[int]]] = []

    def set_subsearcher(self, subsearcher: Any, offset: int) -> None:
        """Start a segment: its matches are recorded apart."""
        super().set_subsearcher(subsearcher, offset)
        self._ids: list[int] = []
        self._segments.append((subsearcher, offset, self._ids))

    def collect(self, sub_docnum: int) -> Any:
        """Record a match, then pass it on."""
        self._ids.append(sub_docnum)
        return self.child.collect(sub_docnum)

    @property
    def matched(self) -> Matched:
        """The matches recorded, per segment."""
        return [(segment, offset, np.asarray(ids, dtype=np.int64)) for segment, offset, ids in self._segments]


def top_scored(s: Any, query: wq.Query, filter_q: wq.Query | None, limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best (docnum, score) of ``query`` within ``filter_q``."""
    # Neither skipping blocks nor replacing matchers: Whoosh's block-quality skipping was
    # slower here (123 against 90 ms for two-word queries at 100,000 documents) and not exact.
    top = collectors.TopCollector(limit=limit, usequality=False, replace=0)
    collector = collectors.FilterCollector(top, allow=filter_q) if filter_q is not None else top
    s.search_with_collector(query, collector)
    return [(hit.docnum, float(hit.score or 0.0)) for hit in collector.results()]


def matched_docs(s: Any, query: wq.Query, filter_q: wq.Query | None,
                 postings: DecodedPostings | None = None) -> Matched:
    """Per segment: (segment searcher, offset, sorted docnums) of the documents ``query``
    matches within ``filter_q``, deleted ones left out.

    Read as sets of posting lists, without scoring: with any word making a candidate, a
    query of two common words matches several times more documents than both words do, and
    Whoosh's matchers cost microseconds per document where a set operation costs nanoseconds."""
    context = s.context()
    out = []
    for segment_searcher, offset in s.leaf_searchers():
        ids = docnums_of(segment_searcher, query, context, postings)
        if len(ids) and filter_q is not None:
            ids = np.intersect1d(ids, docnums_of(segment_searcher, filter_q, context, postings), assume_unique=True)
        deleted = deleted_docs(segment_searcher.reader())
        if len(ids) and deleted:
            ids = np.setdiff1d(ids, np.fromiter(deleted, dtype=np.int64, count=len(deleted)), assume_unique=True)
        out.append((segment_searcher, offset, ids))
    return out


def _words_key(q: Any) -> tuple[Any, ...] | None:
    """What a Term or plain phrase looks for, whatever its field: its words (and a phrase's slop)."""
    if type(q) is wq.Term:
        return (q.text,)
    if plain_phrase(q):
        return (*q.words, q.slop)
    return None


def mask_of(ids: np.ndarray, size: int) -> np.ndarray:
    """``ids`` (docnums of a segment of ``size`` documents) as a mask over its documents."""
    mask = np.zeros(size, dtype=bool)
    mask[ids] = True
    return mask


def _union(parts: list[np.ndarray], size: int) -> np.ndarray:
    """The sorted union of ``parts`` (docnums of a segment of ``size`` documents): a mask when
    they are many (sorting tens of thousands of docnums cost more than a pass over the
    segment), a sort when they are few."""
    if not parts:
        return _NONE
    if len(parts) == 1:
        return parts[0]
    if sum(len(p) for p in parts) * 16 < size:
        return np.unique(np.concatenate(parts))
    union: np.ndarray = np.flatnonzero(mask_of(np.concatenate(parts), size))
    return union


def docnums_of(segment_searcher: Any, q: wq.Query, context: Any, postings: DecodedPostings | None = None) -> np.ndarray:
    """The docnums (deletions included) of one segment that ``q`` matches, ascending (int64);
    posting lists read whole, and kept in ``postings`` (a filter's few values come back in
    many searches)."""
    kind = type(q)
    if kind is wq.Term:
        field = q.fieldname
        if field not in segment_searcher.schema:
            return _NONE
        text = segment_searcher.schema[field].to_bytes(q.text)
        return term_list(segment_searcher.reader(), field, text, postings).ids.astype(np.int64)
    if kind in (wq.Or, AnyOf):
        # The body's terms start with the title's (``prepare.analyze``): a word or phrase looked
        # up in both is matched by its body postings alone (reading a posting list, and a
        # phrase's positions, is the main cost here).
        in_body = {_words_key(sub) for sub in q.subqueries
                   if getattr(sub, "fieldname", None) == MATCH_FIELD and _words_key(sub)}
        parts = [docnums_of(segment_searcher, sub, context, postings) for sub in q.subqueries
                 if not (getattr(sub, "fieldname", None) == TITLE_FIELD and _words_key(sub) in in_body)]
        return _union(parts, segment_searcher.doc_count_all())
    if kind is wq.And:
        positives = [sub for sub in q.subqueries if not isinstance(sub, wq.Not)]
        negatives = [sub.query for sub in q.subqueries if isinstance(sub, wq.Not)]
        sets = sorted((docnums_of(segment_searcher, sub, context, postings) for sub in positives), key=len)
        found = sets[0] if sets else _NONE
        for other in sets[1:]:
            if not len(found):
                break
            found = found[mask_of(other, segment_searcher.doc_count_all())[found]]
        for neg in negatives:
            if not len(found):
                break
            found = found[~mask_of(docnums_of(segment_searcher, neg, context, postings),
                                 segment_searcher.doc_count_all())[found]]
        return found
    if kind is wq.AndMaybe:
        return docnums_of(segment_searcher, q.a, context, postings)
    if kind is wq.AndNot:
        return np.setdiff1d(docnums_of(segment_searcher, q.a, context, postings),
                            docnums_of(segment_searcher, q.b, context, postings), assume_unique=True)
    if kind is wq.Every:
        return np.arange(segment_searcher.doc_count_all(), dtype=np.int64)
    if plain_phrase(q):
        spans = phrase_docs(segment_searcher, q, postings)
        if spans is not None:
            docs: np.ndarray = spans[0]
            return docs
    if q is wq.NullQuery:
        return _NONE
    matcher = q.matcher(segment_searcher, context)
    if not matcher.is_active():
        return _NONE
    return np.unique(np.fromiter(matcher.all_ids(), dtype=np.int64))


def clauses_held(s: Any, ranked: list[tuple[int, float]], clauses: tuple[wq.Query, ...]) -> dict[int, int]:
    """How many of ``clauses`` each ranked document holds."""
    docnums = sorted(d for d, _ in ranked)
    return dict(Counter(d for clause in clauses for d in scores_of(s, clause, docnums)))


def scores_of(s: Any, query: wq.Query, docnums: list[int]) -> dict[int, float]:
    """``query``'s score for each of ``docnums`` (sorted) that it matches, looking at those
    documents only instead of enumerating every match of the query.

    A union scores the sum of its parts that match, so each part of a top-level ``Or`` is
    scored alone. A phrase is checked at each candidate only: Whoosh's phrase matcher, asked
    to skip to a document, goes on reading the word positions of every following document
    holding all the words until the phrase is found (and does so once when it is created),
    which was most of the cost of the bonus on a large base."""
    parts = list(query.subqueries) if type(query) in (wq.Or, AnyOf) and query.boost == 1.0 else [query]
    scores: dict[int, float] = {}
    context = s.context()
    for segment_searcher, offset in s.leaf_searchers():
        end = offset + segment_searcher.doc_count_all()
        local = [d - offset for d in docnums if offset <= d < end]
        if not local:
            continue
        for part in parts:
            if type(part) is wq.Phrase:
                found = phrase_scores(segment_searcher, context, part, local)
            else:
                found = matcher_scores(part.matcher(segment_searcher, context), local)
            for d, score in found:
                scores[offset + d] = scores.get(offset + d, 0.0) + score
    return scores


def highlighted(*queries: wq.Query | None) -> frozenset[str]:
    """The indexed terms of ``queries`` that snippets highlight (those of title, body and
    practice-sheet sections, whose text is the body's)."""
    return frozenset(text_of(text) for q in queries if q is not None
                     for field, text in all_terms(q) if field in ("body", "title") or field.startswith(SECTION_PREFIX))


def text_of(value: Any) -> str:
    """A stored value as text (Whoosh gives bytes for some fields)."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def all_terms(q: wq.Query) -> set[tuple[str, Any]]:
    """Every (field, term) a query holds."""
    try:
        return set(q.iter_all_terms())
    except Exception:  # noqa: BLE001 - a query type without terms must not break a results page
        return set()


def without_terms(query: wq.Query | None, texts: set[str]) -> wq.Query | None:
    """The parts of a union (the bonus) that use none of ``texts``."""
    if query is None:
        return None
    parts = list(query.subqueries) if type(query) in (wq.Or, AnyOf) else [query]
    kept = [p for p in parts if not any(text_of(text) in texts for _, text in all_terms(p))]
    return None if not kept else kept[0] if len(kept) == 1 else AnyOf(kept)


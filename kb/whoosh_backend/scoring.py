"""Any-word queries scored a whole posting list at a time, with numpy.

The scores are Whoosh's (BM25F with the same statistics); the posting lists, the deletions
and the field lengths are read through ``internals``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh import scoring

from kb.whoosh_backend.caches import DecodedPostings
from kb.whoosh_backend.internals.arrays import PostingList, postfile_of, read_list, values_at
from kb.whoosh_backend.internals.bm25 import field_b
from kb.whoosh_backend.internals.lengths import FieldLengths
from kb.whoosh_backend.internals.postings import deleted_docs

# Per clause, its whoosh Term queries (a word in title and body, synonyms) and plain phrases (an
# acronym's expansion).
TermClauses = list[list[Any]]
_NO_SCORES = (np.zeros(0, dtype=np.int64), np.zeros(0))


def plain_phrase(q: Any) -> bool:
    """Whether ``q`` is a phrase of two or more words in one field, without character ranges:
    what ``phrase_at`` scores."""
    return type(q) is wq.Phrase and not q.char_ranges and len(q.words) >= 2 and all(
        isinstance(w, str) for w in q.words)


def words_of(q: Any) -> list[str]:
    """The words of a Term or of a phrase."""
    return list(q.words) if type(q) is wq.Phrase else [q.text]


def locate(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``wanted``, its place in ``ids`` (both ascending) and whether it is there:
    how a decoded list is searched for chosen documents."""
    if not len(ids):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    return at, ids[at] == wanted


def clause_terms(clauses: tuple[Any, ...]) -> TermClauses | None:
    """The Term queries and plain phrases of each clause, when every clause is made of them
    only: the queries ``accumulate`` can score. None otherwise."""
    def flat(q: Any) -> list[Any]:
        # A union's score is the sum of its parts' (nested unions included): flatten them.
        if isinstance(q, wq.Or) and q.boost == 1.0:
            return [t for sub in q.subqueries for t in flat(sub)]
        return [q]

    out: TermClauses = []
    for clause in clauses:
        subs = flat(clause)
        if not subs or not all(type(t) is wq.Term or plain_phrase(t) for t in subs):
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
                total += sum(searcher.doc_frequency(t.fieldname, field.to_bytes(w)) for w in words_of(t))
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
        allow = allowed(segment_searcher)
        if allow is not None and not len(allow):  # nothing allowed here: no list worth reading
            out.append(Scored(segment_searcher, offset, _NO_SCORES[0], _NO_SCORES[1], _NO_SCORES[0]))
            continue
        # A few allowed documents (similar documents' candidates, a rare filter value) are
        # scored alone: each list is searched for them instead of scored whole.
        within = allow if allow is not None and len(allow) * _FEW < count else None
        size = count if within is None else len(within)
        scores = np.zeros(size)
        held = np.zeros(size, dtype=np.int64)
        for terms in clauses:
            if len(terms) == 1:
                # One list holds each document once: counted where it matches, without a
                # segment-sized array per clause (similar documents' twenty key terms).
                found = _term_scores(searcher, segment_searcher, reader, terms[0], lengths, weighting, postings,
                                     fast, within)
                if found is not None:
                    slots, contribution = found
                    scores[slots] += contribution
                    held[slots] += 1
                continue
            holds = np.zeros(size, dtype=bool)
            for term in terms:
                found = _term_scores(searcher, segment_searcher, reader, term, lengths, weighting, postings, fast,
                                     within)
                if found is not None:
                    slots, contribution = found
                    scores[slots] += contribution
                    holds[slots] = True
            held += holds
        keep = held > 0
        deleted = deleted_docs(reader)
        if deleted:
            gone = np.fromiter(deleted, dtype=np.int64, count=len(deleted))
            if within is None:
                keep[gone] = False
            else:
                keep &= ~np.isin(within, gone)
        if allow is not None and within is None:
            permitted = np.zeros(count, dtype=bool)
            permitted[allow] = True
            keep &= permitted
        slots = np.flatnonzero(keep)
        ids = slots if within is None else within[slots]
        out.append(Scored(segment_searcher, offset, ids, scores[slots], held[slots]))
    return out


_FEW = 32  # allowed documents scored alone when fewer than a segment's documents / _FEW


def _term_scores(searcher: Any, segment_searcher: Any, reader: Any, term: Any, lengths: FieldLengths,
                 weighting: scoring.BM25F, postings: DecodedPostings | None, fast: bool,
                 within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(docnums, BM25F score) of one term or phrase in one segment, deleted documents
    included; with ``within`` (ascending distinct docnums), its matches among them only, as
    places in ``within``. None when nothing matches."""
    field = term.fieldname
    schema = segment_searcher.schema
    if field not in schema:
        return None
    norm = bm25_norms(searcher, segment_searcher, field, lengths, weighting) if fast else None
    if norm is not None and type(term) is wq.Term:
        text = schema[field].to_bytes(term.text)
        found = term_list(reader, field, text, postings)
        if not len(found):
            return None
        if within is None:
            return found.ids, bm25(searcher, field, text, weighting, term.boost, found.float64s(), norm[found.ids])
        at, hit = locate(found.ids, within)
        slots = np.flatnonzero(hit)
        if not len(slots):
            return None
        return slots, bm25(searcher, field, text, weighting, term.boost, found.float64s(at[hit]), norm[within[hit]])
    scored = phrase_at(searcher, segment_searcher, term, lengths, weighting, postings, within) \
        if norm is not None else None
    if scored is None:
        scored = _matcher_scores(searcher, segment_searcher, term)
    ids, contribution = scored
    if within is not None:
        at, hit = locate(within, ids)
        ids, contribution = at[hit], contribution[hit]
    return (ids, contribution) if len(ids) else None


def _matcher_scores(searcher: Any, segment_searcher: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    """(docnums, score) of every match of ``q`` in one segment by Whoosh's matcher and
    scorer: the reference the arrays are tested against."""
    m = q.matcher(segment_searcher, searcher.context())
    ids: list[int] = []
    scored: list[float] = []
    while m.is_active():
        ids.append(m.id())
        scored.append(m.score())
        m.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(scored, dtype=np.float64)


def phrase_at(searcher: Any, segment_searcher: Any, phrase: wq.Phrase, lengths: FieldLengths,
              weighting: scoring.BM25F, postings: DecodedPostings | None,
              chosen: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(docnums, score) of the documents of one segment where the plain ``phrase`` matches
    (among ``chosen``, ascending local docnums, when given), deleted ones included; None when
    the segment cannot be read this way (the caller then asks Whoosh's matchers).

    Scores are Whoosh's: its phrase matcher is a span check over an intersection of the words'
    matchers, which sums their BM25F scores in a binary tree, times the phrase's boost."""
    field = phrase.fieldname
    if field not in segment_searcher.schema:
        return _NO_SCORES
    norm = bm25_norms(searcher, segment_searcher, field, lengths, weighting)
    if norm is None:
        return None
    found = phrase_docs(segment_searcher, phrase, postings, chosen)
    if found is None:
        return None
    docs, lists, where = found
    if not len(docs):
        return _NO_SCORES
    fieldtype = segment_searcher.schema[field]
    words = [bm25(searcher, field, fieldtype.to_bytes(w), weighting, 1.0, found_list.float64s(at), norm[docs])
             for w, found_list, at in zip(phrase.words, lists, where, strict=True)]
    return docs, _tree_sum(words) * phrase.boost


def phrase_docs(segment_searcher: Any, phrase: wq.Phrase, postings: DecodedPostings | None,
                chosen: np.ndarray | None = None) -> tuple[np.ndarray, list[PostingList], list[np.ndarray]] | None:
    """The documents of one segment where the plain ``phrase`` matches (among ``chosen`` when
    given; ascending local docnums, deleted ones included), each word's decoded list and where
    each document lies in it; None when the segment cannot be read this way.

    The documents holding every word are found in the words' decoded lists (kept in
    ``postings``), and only their positions are read, from the blocks that hold them: Whoosh's
    phrase matcher walks every posting of its words' lists."""
    field = phrase.fieldname
    schema = segment_searcher.schema
    if field not in schema:
        return _NO_SCORES[0], [], []
    fieldtype = schema[field]
    reader = segment_searcher.reader()
    postfile = postfile_of(reader)
    if postfile is None or fieldtype.format is None or not fieldtype.format.supports("positions"):
        return None
    lists = [term_list(reader, field, fieldtype.to_bytes(w), postings) for w in phrase.words]
    if any(not len(found) for found in lists):
        return _NO_SCORES[0], [], []
    if chosen is None:
        chosen = min(lists, key=len).ids.astype(np.int64)
    where: list[np.ndarray] = []
    for found in lists:
        at, keep = locate(found.ids, chosen)
        chosen = chosen[keep]
        where = [w[keep] for w in where] + [at[keep]]
        if not len(chosen):
            return _NO_SCORES[0], [], []
    positions: list[list[list[int]]] = []
    for found, at in zip(lists, where, strict=True):
        values = values_at(postfile, found, at.tolist())
        if values is None:
            return None
        positions.append([list(fieldtype.format.decode_as("positions", v)) for v in values])
    keep = np.fromiter((spans_match([word[i] for word in positions], phrase.slop) for i in range(len(chosen))),
                       dtype=bool, count=len(chosen))
    return chosen[keep], lists, [at[keep] for at in where]


def _tree_sum(parts: list[np.ndarray]) -> np.ndarray:
    """The sum of ``parts`` in the order of Whoosh's ``make_binary_tree`` (floating-point
    addition is not associative)."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    total: np.ndarray = _tree_sum(parts[:half]) + _tree_sum(parts[half:])
    return total


def spans_match(positions: list[list[int]], slop: int) -> bool:
    """Whether the words, whose positions in one document are ``positions`` (each sorted),
    occur in order, each 1 to ``slop`` positions after the end of the span of those before
    it: Whoosh's ``SpanNear2(ordered=True, mindist=1)`` for single-word spans."""
    spans: Iterable[tuple[int, int]] = {(p, p) for p in positions[0]}
    for following in positions[1:]:
        spans = {(start, b) for start, end in spans for b in following if end < b <= end + slop}
        if not spans:
            return False
    return bool(spans)


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

"""BM25F with each segment's field lengths read once and kept in memory.

Whoosh's BM25F asks the segment for a document's field length at every score, and the
segment reads that one byte from its length column on disk: at 100,000 documents it was
~11 % of a search's time (1.1 million reads for 250 queries). A segment's lengths never change
(deletions only hide documents), so they are kept per segment until it is merged away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from whoosh import scoring
from whoosh.util.numeric import byte_to_length

from kb.segments import PerSegment

# Length bytes decoded once (Whoosh stores a field's length as one lossy byte). A length
# byte of 0 means "no length stored": Whoosh then scores with the default length 1.
_LENGTH_OF_BYTE = tuple(float(byte_to_length(b)) if b else 1.0 for b in range(256))


class FieldLengths:
    """Per (segment, field): each document's field length, as a list indexed by docnum."""

    def __init__(self) -> None:
        self._cache: PerSegment[list[float]] = PerSegment(limit=512)
        self._norms: PerSegment[list[float]] = PerSegment(limit=512)

    def lookup(self, segment_searcher: Any, fieldname: str) -> Callable[[int], float] | None:
        """``docnum -> length`` for the searcher's segment, or None when it cannot be read
        directly (the caller then keeps Whoosh's own lookup)."""
        lengths = self.column(segment_searcher, fieldname)
        return lengths.__getitem__ if lengths is not None else None

    def norms(self, segment_searcher: Any, fieldname: str, k_fixed: float, k_length: float) -> list[float] | None:
        """``k_fixed + k_length * length`` of each document: BM25's length normalisation,
        computed once per segment and set of statistics (the average length changes with the
        index, and the key with it)."""
        def compute(reader: Any) -> list[float] | None:
            lengths = self.column(segment_searcher, fieldname)
            return None if lengths is None else [k_fixed + k_length * n for n in lengths]
        return self._norms.get(segment_searcher, f"{fieldname}:{k_fixed!r}:{k_length!r}", compute)

    def column(self, segment_searcher: Any, fieldname: str) -> list[float] | None:
        """The lengths of the field for the searcher's segment, indexed by docnum (None when
        they cannot be read directly)."""
        return self._cache.get(segment_searcher, fieldname, lambda reader: _read_lengths(reader, fieldname))


def _read_lengths(reader: Any, fieldname: str) -> list[float] | None:
    """The whole length column of one field of one segment, in one read."""
    # Private parts of whoosh 2.7.5's W3 codec: a column of one byte per document. Anything
    # else (another codec, a future version) falls back to Whoosh's per-document reads.
    try:
        from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
        perdoc = reader._perdoc
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return [1.0] * (reader.doc_count_all() + 1)
        if column._fixedlen != 1:
            return None
        stored = column._dbfile.get(column._basepos, column._count) if column._count else b""
    except (AttributeError, ImportError, TypeError):
        return None
    lengths = [_LENGTH_OF_BYTE[b] for b in stored]
    # Documents after the last stored length have none (Whoosh's column default, byte 0).
    lengths.extend([1.0] * (reader.doc_count_all() + 1 - len(lengths)))
    return lengths


class CachedBM25F(scoring.BM25F):  # type: ignore[misc]
    """Whoosh's BM25F (same parameters, same scores), reading lengths from ``FieldLengths``."""

    def __init__(self, lengths: FieldLengths, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lengths = lengths

    def scorer(self, searcher: Any, fieldname: str, text: Any, qf: float = 1) -> Any:
        lookup = self._lengths.lookup(searcher, fieldname) if searcher.schema[fieldname].scorable else None
        if lookup is None:
            return super().scorer(searcher, fieldname, text, qf=qf)
        return _LengthsScorer(searcher, fieldname, text, self._field_B.get(fieldname, self.B), self.K1, qf, lookup)


class _LengthsScorer(scoring.BM25FScorer):  # type: ignore[misc]
    """Whoosh's BM25F scorer, minus the term lookup its constructor makes for the term's best
    possible score: only skipping blocks needs that score (our searches score every match),
    and the posting reader looks the term up again anyway. At 100,000 documents, half of the
    time of scoring the best matches' bonus was spent creating scorers."""

    def __init__(self, searcher: Any, fieldname: str, text: Any, B: float, K1: float, qf: float,
                 dfl: Callable[[int], float]) -> None:
        parent = searcher.get_parent()  # global statistics, as Whoosh's scorer takes them
        self.idf = parent.idf(fieldname, text)
        self.avgfl = parent.avg_field_length(fieldname) or 1
        self.B, self.K1, self.qf = B, K1, qf
        self.dfl = dfl
        self._term = (searcher, fieldname, text)
        self._maxquality: float | None = None

    def max_quality(self) -> float:
        if self._maxquality is None:
            searcher, fieldname, text = self._term
            info = searcher.term_info(fieldname, text)
            self._maxquality = self._score(info.max_weight(), info.min_length())
        return self._maxquality


# -- Any-word queries scored a posting block at a time ----------------------------------------

TermClauses = list[list[Any]]  # per clause, its whoosh Term queries (a word in title and body, synonyms)


def clause_terms(clauses: tuple[Any, ...]) -> TermClauses | None:
    """The Term queries of each clause, when every clause is made of single terms only (no
    phrase): the queries ``accumulate`` can score. None otherwise."""
    from whoosh import query as wq

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


def deleted_docs(reader: Any) -> set[int]:
    """The deleted docnums of one segment (they stay in its posting lists until a merge)."""
    if not reader.has_deletions():
        return set()
    perdoc = getattr(reader, "_perdoc", None)  # whoosh 2.7.5: the segment's own deletions
    if perdoc is not None:
        return set(perdoc.deleted_docs())
    return {d for d in range(reader.doc_count_all()) if reader.is_deleted(d)}


def _add_term(searcher: Any, segment_searcher: Any, reader: Any, term: Any, lengths: FieldLengths,
              weighting: scoring.BM25F, scores: dict[int, float], docs: set[int]) -> None:
    from whoosh.reading import TermNotFound

    field = term.fieldname
    schema = segment_searcher.schema
    if field not in schema:
        return
    text = schema[field].to_bytes(term.text)
    try:
        matcher = reader.postings(field, text)
    except TermNotFound:
        return
    matcher = _unfiltered(matcher)  # deletions: removed by the caller
    parent = searcher.get_parent()
    B = weighting._field_B.get(field, weighting.B)
    K1 = weighting.K1
    avgfl = parent.avg_field_length(field) or 1
    # bm25(idf, tf, fl, avgfl, B, K1) * boost, as whoosh.scoring computes it, rearranged.
    norm = lengths.norms(segment_searcher, field, K1 * (1 - B), K1 * B / avgfl)
    blocks = _blocks(matcher)
    if norm is None or blocks is None:
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
    for ids, weights in blocks:
        docs.update(ids)
        for d, tf in zip(ids, weights):
            scores[d] = get(d, 0.0) + (top * tf) / (tf + norm[d])


def posting_ids(matcher: Any) -> set[int]:
    """Every docnum of a posting list (``reader.postings``), deleted documents included, read a
    block at a time."""
    matcher = _unfiltered(matcher)
    blocks = _blocks(matcher, weights=False)
    if blocks is None:
        return set(matcher.all_ids())
    out: set[int] = set()
    for ids, _ in blocks:
        out.update(ids)
    return out


def _unfiltered(matcher: Any) -> Any:
    """The posting list under the filter Whoosh puts on a segment with deletions: its private
    block reader is what ``_blocks`` reads, and the callers remove deleted documents."""
    from whoosh.matching.wrappers import FilterMatcher

    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def _blocks(matcher: Any, weights: bool = True) -> Any:
    """(ids, weights or None) of each block of a W3 posting list (private parts of whoosh
    2.7.5's codec); None for anything else."""
    needed = ("_read_ids", "_read_weights", "_next_block", "_lastblock")
    if not all(hasattr(matcher, a) for a in needed):
        return None

    def gen() -> Any:
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if weights and matcher._weights is None:
                matcher._read_weights()
            yield matcher._ids, matcher._weights if weights else None
            if matcher._lastblock:
                return
            matcher._next_block()
    return gen()

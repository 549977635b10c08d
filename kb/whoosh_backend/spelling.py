"""Spelling corrections: each unknown word of a query mapped to the closest word the index holds."""

from __future__ import annotations

import time
from typing import Any

from whoosh import query as wq
from whoosh.support.levenshtein import distance

from kb.analysis import Analyzer, fold
from kb.analysis import words as words_of
from kb.strategy import edits, inflection
from kb.whoosh_backend.matching import text_of
from kb.whoosh_backend.query import MAX_TERMS
from kb.whoosh_backend.segments import PerSegment

MAX_SPELLING_LOOKUPS = 6  # unknown words of one query looked up for a correction (bounded work)
SPELLING_SECONDS = 0.2  # and no new look-up once this long was spent on them
SURFACE_SCAN = 200_000  # characters of a document searched for the accented form of a suggestion


class Vocabulary:
    """The words of the spelling field, per segment and first letter, grouped by length: read
    once per segment (segments never change) instead of merging every segment's word list
    for each look-up (at 100,000 documents in 20 segments, 50 ms of a misspelt question)."""

    def __init__(self) -> None:
        self._words: PerSegment[dict[int, list[str]]] = PerSegment(limit=4096)

    def within(self, s: Any, folded: str, maxdist: int) -> set[str]:
        """The words within ``maxdist`` edits (Damerau-Levenshtein) of ``folded`` that start
        with its first letter: what Whoosh's ``terms_within(..., prefix=1)`` gives."""
        out: set[str] = set()
        first = folded[:1]
        for segment_searcher, _ in s.leaf_searchers():
            by_length = self._words.get(segment_searcher, first, lambda reader: _by_length(reader, first))
            for size in range(len(folded) - maxdist, len(folded) + maxdist + 1):
                out.update((by_length or {}).get(size, ()))
        # A word whose length differs by more than maxdist is further than maxdist edits.
        return {w for w in out if distance(w, folded, limit=maxdist) <= maxdist}


def _by_length(reader: Any, first: str) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    if "spell" not in reader.schema:
        return out
    for btext in reader.expand_prefix("spell", first):
        word = text_of(btext)
        out.setdefault(len(word), []).append(word)
    return out


def corrections(s: Any, analyzer: Analyzer, words: tuple[str, ...], vocabulary: Vocabulary) -> dict[str, str]:
    """Each typed word the index has never seen, mapped to the closest word of its own
    vocabulary (fewest edits, then most documents), accents restored; words known or
    without a close word are left out. A word whose stem is indexed is only corrected when
    the fix is more than an inflection (renouvelement -> renouvellement, but not
    relogements -> relogement). At most ``MAX_SPELLING_LOOKUPS`` words are looked up, and
    none after ``SPELLING_SECONDS``."""
    reader = s.reader()
    fixes: dict[str, str] = {}
    lookups = 0
    deadline = time.perf_counter() + SPELLING_SECONDS
    checked = 0
    for word in dict.fromkeys(words):
        folded = analyzer.term_unstemmed(word)
        if folded is None:
            continue
        checked += 1
        if checked > MAX_TERMS:  # the words past the query's budget are not searched anyway
            break
        if len(folded) < 4 or not folded.isalpha() or reader.frequency("spell", folded) > 0:
            continue
        if lookups >= MAX_SPELLING_LOOKUPS or time.perf_counter() > deadline:
            break
        lookups += 1
        best = _closest(reader, folded, vocabulary.within(s, folded, _maxdist(folded)))
        if best is None:
            continue
        stemmed = analyzer.term(word)
        if stemmed and reader.frequency("body", stemmed) > 0 and inflection(folded, best):
            continue
        fixes[word] = _surface(s, best)
    return fixes


def _maxdist(folded: str) -> int:
    return 1 if len(folded) <= 5 else 2


def _closest(reader: Any, folded: str, within: set[str]) -> str | None:
    # Whoosh's own corrector ranks candidates by frequency only; rank by edit distance
    # first. The first letter is rarely the wrong one, and fixing it keeps this fast.
    candidates = [c for c in within if c != folded]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (edits(folded, c), -reader.doc_frequency("spell", c), c))


def _surface(s: Any, folded: str) -> str:
    """The word as the documents write it (with its accents), from one document holding it."""
    found = s.search(wq.Term("spell", folded), limit=1)
    if found:
        stored = found[0].fields()
        for text in (stored.get("title", ""), stored.get("body", "")[:SURFACE_SCAN]):
            for w in words_of(text):
                if fold(w) == folded:
                    return w.lower() if not w.isupper() else w
    return folded

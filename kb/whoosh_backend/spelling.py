"""Spelling corrections: each unknown word of a query mapped to the closest word the index holds."""

from __future__ import annotations

import time
from typing import Any

from whoosh import query as wq

from kb.analysis import Analyzer, fold
from kb.analysis import words as words_of
from kb.strategy import edits, inflection
from kb.whoosh_backend.query import MAX_TERMS

MAX_SPELLING_LOOKUPS = 6  # unknown words of one query looked up for a correction (bounded work)
SPELLING_SECONDS = 0.2  # and no new look-up once this long was spent on them
SURFACE_SCAN = 200_000  # characters of a document searched for the accented form of a suggestion


def corrections(s: Any, analyzer: Analyzer, words: tuple[str, ...]) -> dict[str, str]:
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
        best = _closest(reader, folded)
        if best is None:
            continue
        stemmed = analyzer.term(word)
        if stemmed and reader.frequency("body", stemmed) > 0 and inflection(folded, best):
            continue
        fixes[word] = _surface(s, best)
    return fixes


def _closest(reader: Any, folded: str) -> str | None:
    # Whoosh's own corrector ranks candidates by frequency only; rank by edit distance
    # first. The first letter is rarely the wrong one, and fixing it keeps this fast.
    maxdist = 1 if len(folded) <= 5 else 2
    candidates = [c.decode("utf-8") if isinstance(c, bytes) else c
                  for c in reader.terms_within("spell", folded, maxdist, prefix=1)]
    candidates = [c for c in candidates if c != folded]
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

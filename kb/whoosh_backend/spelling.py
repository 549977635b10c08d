"""Spelling corrections: each unknown word of a query mapped to the closest word the index holds."""

from __future__ import annotations

import time
from typing import Any

from kb.analysis import Analyzer
from kb.strategy import edits, inflection
from kb.whoosh_backend.query import MATCH_FIELD, MAX_TERMS
from kb.whoosh_backend.wordlists import documents, shown, within

MAX_SPELLING_LOOKUPS = 6  # unknown words of one query looked up for a correction (bounded work)
SPELLING_SECONDS = 0.2  # and no new look-up once this long was spent on them


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
        stemmed = analyzer.term(word)  # the folded word's stem too, from the analyzer's cache
        if len(folded) < 4 or not folded.isalpha() or _known(s, reader, folded, stemmed):
            continue
        if lookups >= MAX_SPELLING_LOOKUPS or time.perf_counter() > deadline:
            break
        lookups += 1
        best = _closest(s, reader, analyzer, folded, within(s, folded, _maxdist(folded)))
        if best is None:
            continue
        if stemmed and reader.frequency(MATCH_FIELD, stemmed) > 0 and inflection(folded, best):
            continue
        fixes[word] = shown(s, best)
    return fixes


def _maxdist(folded: str) -> int:
    return 1 if len(folded) <= 5 else 2


def _known(s: Any, reader: Any, folded: str, stemmed: str | None) -> bool:
    # A word list keeps the words of documents deleted since it was written: a word is
    # known while its stem is in the body of some document (asked first: one look-up
    # against one per segment's list).
    return stemmed is not None and reader.doc_frequency(MATCH_FIELD, stemmed) > 0 and documents(s, folded) > 0


def _closest(s: Any, reader: Any, analyzer: Analyzer, folded: str, candidates: set[str]) -> str | None:
    # Whoosh's own corrector ranks candidates by frequency only; rank by edit distance
    # first, then most documents. The first letter is rarely the wrong one, and fixing it
    # keeps this fast. A candidate whose stem no document holds any more (all deleted) is
    # no correction.
    ranked = sorted((edits(folded, c), -documents(s, c), c) for c in candidates if c != folded)
    return next((c for _, _, c in ranked if reader.doc_frequency(MATCH_FIELD, analyzer.term(c)) > 0), None)

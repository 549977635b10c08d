"""The index's words as its documents write them (folded, unstemmed), from each segment's word
list (``internals.wordlists``): the words a prefix stands for (``mobil*``), and those spelling
corrections choose from.

Searches reach a listed word's documents through its stem in the body: a word's stem is a
function of its unstemmed form (``kb.analysis.stem``).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator
from typing import Any

from whoosh.support.levenshtein import distance

from kb.whoosh_backend.internals.wordlists import WordList, read_words
from kb.whoosh_backend.segments import PerSegment

# A segment's list is read once (segments never change): 1.8 MB for the 5 segments of the
# 100,000-document base.
_LISTS: PerSegment[WordList] = PerSegment(limit=256)
_BY_LENGTH: PerSegment[dict[int, array[int]]] = PerSegment(limit=4096)
_EMPTY = WordList()


def words_of(reader: Any) -> WordList:
    """The word list of the segment ``reader`` reads (empty for an empty index)."""
    if not hasattr(reader, "segment") or reader.segment() is None:
        return _EMPTY
    return _LISTS.of_reader(reader, "words", read_words) or _EMPTY


def starting(reader: Any, prefix: str) -> Iterator[str]:
    """The segment's words that start with ``prefix``, in alphabetical order."""
    return words_of(reader).starting(prefix)


def documents(s: Any, word: str) -> int:
    """How many documents of the searcher ``s`` hold ``word`` (deleted ones included until
    their segment is merged, as Whoosh's own frequencies count them)."""
    total = 0
    for segment_searcher, _ in s.leaf_searchers():
        listed = words_of(segment_searcher.reader())
        at = listed.find(word)
        if at >= 0:
            total += listed.entry(at)[1]
    return total


def shown(s: Any, word: str) -> str:
    """``word`` as most documents of the searcher ``s`` holding it write it (accents, capitals)."""
    votes: Counter[str] = Counter()
    for segment_searcher, _ in s.leaf_searchers():
        listed = words_of(segment_searcher.reader())
        at = listed.find(word)
        if at >= 0:
            _, count, written = listed.entry(at)
            votes[written or word] += count
    return min(votes, key=lambda form: (-votes[form], form)) if votes else word


def within(s: Any, folded: str, maxdist: int) -> set[str]:
    """The listed words within ``maxdist`` edits (Damerau-Levenshtein) of ``folded`` that
    start with its first letter, as Whoosh's ``terms_within(..., prefix=1)`` gives them. Each
    segment's words of one first letter are grouped by length once (their positions in the
    list): a misspelt question at 100,000 documents spent 50 ms merging every segment's word
    list at each look-up."""
    out: set[str] = set()
    first = folded[:1]
    for segment_searcher, _ in s.leaf_searchers():
        listed = words_of(segment_searcher.reader())
        by_length = _BY_LENGTH.get(segment_searcher, first, lambda reader: _by_length(reader, first)) or {}
        # A word whose length differs by more than maxdist is further than maxdist edits.
        for size in range(len(folded) - maxdist, len(folded) + maxdist + 1):
            out.update(listed.word(at) for at in by_length.get(size, ()))
    return {w for w in out if distance(w, folded, limit=maxdist) <= maxdist}


def _by_length(reader: Any, first: str) -> dict[int, array[int]]:
    listed = words_of(reader)
    out: dict[int, array[int]] = {}
    for at in listed.positions(first):
        out.setdefault(len(listed.word(at)), array("I")).append(at)
    return out

"""Posting lists read a block at a time, and a segment's deletions read at once.

Relies on whoosh 2.7.5's W3 posting matcher (``_read_ids``, ``_read_weights``, ``_next_block``,
``_lastblock``, ``_ids``, ``_weights``), on ``whoosh.matching.wrappers.FilterMatcher.child``
(the filter Whoosh puts on a segment with deletions) and on the segment reader's ``_perdoc``
(``deleted_docs()``). Anything else falls back to Whoosh's public, slower calls.
"""

from __future__ import annotations

from typing import Any

from whoosh.matching.wrappers import FilterMatcher


def deleted_docs(reader: Any) -> set[int]:
    """The deleted docnums of one segment (they stay in its posting lists until a merge)."""
    if not reader.has_deletions():
        return set()
    perdoc = getattr(reader, "_perdoc", None)  # whoosh 2.7.5: the segment's own deletions
    if perdoc is not None:
        return set(perdoc.deleted_docs())
    return {d for d in range(reader.doc_count_all()) if reader.is_deleted(d)}


def posting_ids(matcher: Any) -> set[int]:
    """Every docnum of a posting list (``reader.postings``), deleted documents included, read a
    block at a time."""
    matcher = unfiltered(matcher)
    found = blocks(matcher, weights=False)
    if found is None:
        return set(matcher.all_ids())
    out: set[int] = set()
    for ids, _ in found:
        out.update(ids)
    return out


def unfiltered(matcher: Any) -> Any:
    """The posting list under the filter Whoosh puts on a segment with deletions: its private
    block reader is what ``blocks`` reads, and the callers remove deleted documents."""
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def blocks(matcher: Any, weights: bool = True) -> Any:
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

"""A segment's deletions read at once, and the posting list under Whoosh's deletion filter.

Relies on ``whoosh.matching.wrappers.FilterMatcher.child`` (the filter Whoosh puts on a segment
with deletions) and on the segment reader's ``_perdoc`` (``deleted_docs()``). Anything else
falls back to Whoosh's public, slower calls. Posting lists themselves are decoded by
``internals.arrays``.
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


def unfiltered(matcher: Any) -> Any:
    """The posting list under the filter Whoosh puts on a segment with deletions: its private
    block reader is what ``internals.arrays`` reads, and the callers remove deleted documents."""
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher

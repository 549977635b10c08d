"""Values derived from one index segment, computed once and kept until it is merged away.

A segment never changes its documents (deletions only hide them), so what is read from it
(field lengths, facet values) stays true as long as the segment is part of the index."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class PerSegment(Generic[T]):
    """``get(segment_searcher, name, compute)``: ``compute(reader)`` once per segment and name."""

    def __init__(self, limit: int = 1024) -> None:
        self._cache: dict[tuple[str, str], T] = {}
        self._lock = threading.Lock()
        self._limit = limit  # beyond this, most entries are of merged-away segments: start afresh

    def get(self, segment_searcher: Any, name: str, compute: Callable[[Any], T | None]) -> T | None:
        """The kept value, or ``compute``'s; an empty index's reader (no segment) and a
        ``None`` from ``compute`` are not kept."""
        return self.of_reader(segment_searcher.reader(), name, compute)

    def of_reader(self, reader: Any, name: str, compute: Callable[[Any], T | None]) -> T | None:
        """``get`` for a segment's reader (what Whoosh hands a query's ``matcher``)."""
        segment = reader.segment() if hasattr(reader, "segment") else None
        if segment is None:
            return compute(reader)
        key = (segment.segment_id(), name)
        value = self._cache.get(key)
        if value is None:
            value = compute(reader)
            if value is None:
                return None
            with self._lock:
                if len(self._cache) >= self._limit:
                    self._cache.clear()
                self._cache[key] = value
        return value

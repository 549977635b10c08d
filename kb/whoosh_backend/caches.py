"""Answers kept until the index changes: a small thread-safe least-recently-used map.

The same searches and document pages come back (a link in a newsletter, a feed polled by its
readers); their keys start with the index generation, so a commit makes them unreachable.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from whoosh.reading import TermNotFound

V = TypeVar("V")


class Recent(Generic[V]):
    """Up to ``limit`` values, the least recently used dropped first."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The value kept for ``key`` (now the most recent), or None."""
        with self._lock:
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` for ``key``, dropping the oldest beyond the limit."""
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._limit:
                self._values.popitem(last=False)

    def clear(self) -> None:
        """Forget everything (tests and benchmarks compute pages again)."""
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


class DecodedPostings:
    """Posting lists decoded into arrays (``internals.arrays.PostingList``), per segment, kept while
    the segment lives: the common words of a language come back in most queries, and decoding
    their lists is most of the cost of scoring them; and a query reads each of its words'
    lists twice (to find the matches, then to score the best ones' bonus). Up to ``budget``
    postings (8 bytes each: 16 MB for the default) in at most ``entries`` lists, the least
    recently used dropped first. Both bounds hold the server's memory (budget: 400 MB for
    its processes at 100,000 documents); decoding a list without its positions costs a
    quarter of what it did, so a smaller cache costs little."""

    def __init__(self, budget: int = 2_000_000, entries: int = 16_384) -> None:
        self._budget = budget
        self._entries = entries
        self._held = 0
        self._lists: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """The arrays kept for ``key``, or ``read()``'s (then kept)."""
        with self._lock:
            found = self._lists.get(key)
            if found is not None:
                self._lists.move_to_end(key)
                return found
        found = read()
        size = len(found)
        if size <= self._budget // 4:  # one list never pushes out most of the others
            with self._lock:
                if key not in self._lists:
                    self._lists[key] = found
                    self._held += size
                    while self._held > self._budget or len(self._lists) > self._entries:
                        _, dropped = self._lists.popitem(last=False)
                        self._held -= len(dropped)
        return found

    def clear(self) -> None:
        """Forget every list (benchmarks time a cold start)."""
        with self._lock:
            self._lists.clear()
            self._held = 0

    def __len__(self) -> int:
        return len(self._lists)


class Frequencies:
    """The collection frequency of terms (their total weight over every segment) in one
    generation of the index, for the key terms of a document page. A page weighs each of its
    distinct terms (49 on average for the pages of the 100,000-document benchmark base), each
    looked up in every segment's hash table (a few file reads in Python each): most were the
    same common words from one page to the next (400 pages met 3,573 terms). The first
    ``limit`` terms met in a generation are kept (a language's common words come first), none
    dropped: ~160 bytes each (the dict's entry, its key and value)."""

    def __init__(self, limit: int = 30_000) -> None:
        self._limit = limit
        self._generation: int | None = None
        self._known: dict[tuple[str, bytes], int | None] = {}
        self._lock = threading.Lock()

    def of(self, reader: Any, field: str, text: bytes) -> int | None:
        """The collection frequency of ``text`` in ``field`` of ``reader`` (a searcher's
        reader, its generation the cache's), None when no segment holds it."""
        key = (field, text)
        generation = reader.generation()
        with self._lock:
            if generation != self._generation:
                self._generation, self._known = generation, {}
            if key in self._known:
                return self._known[key]
        found: int | None = None
        for leaf, _ in reader.leaf_readers():
            try:
                weight = leaf.term_info(field, text).weight()
            except TermNotFound:
                continue
            found = (found or 0) + weight
        with self._lock:
            if generation == self._generation and len(self._known) < self._limit:
                self._known[key] = found
        return found

    def __len__(self) -> int:
        return len(self._known)

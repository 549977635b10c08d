"""Answers kept until the index changes: a small thread-safe least-recently-used map.

The same searches and document pages come back (a link in a newsletter, a feed polled by its
readers); their keys start with the index generation, so a commit makes them unreachable.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

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

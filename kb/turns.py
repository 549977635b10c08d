"""Who gets the shared searcher next: ordinary requests before costly ones.

One searcher serves a process's threads one at a time. A query that costs a few hundred
milliseconds (a pasted paragraph, dozens of prefixes) sent without pause by a few clients kept
it busy, and every reader behind waited. Costly requests now take turns among themselves, one
at a time, and let the ordinary requests that are waiting go first (for at most ``PATIENCE``
seconds, so that they are never starved)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

PATIENCE = 1.0


class Turns:
    """Who searches next: ordinary requests go before costly ones, which wait their turn."""
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._ordinary = 0  # ordinary requests waiting for or holding the searcher
        self._costly = threading.Lock()

    @contextmanager
    def turn(self, costly: bool) -> Iterator[None]:
        """Hold this around taking the searcher."""
        if not costly:
            with self._changed:
                self._ordinary += 1
            try:
                yield
            finally:
                with self._changed:
                    self._ordinary -= 1
                    self._changed.notify_all()
            return
        with self._costly:
            with self._changed:
                self._changed.wait_for(lambda: self._ordinary == 0, timeout=PATIENCE)
            yield

"""Results taken from the extraction workers by a helper thread, so that they never wait for
the writer.

Each worker holds a few dozen files ahead (``workers.Pool``): while the main thread committed
a batch (seconds, most of them filing groups and postings at 100,000 documents) the workers
ran dry after a fraction of a second and sat idle until the commit ended, because nobody
received their results or handed them new files. A ``Feed`` goes on doing both from a thread
of its own; the main thread takes the results at its own pace. What waits in the feed is
bounded (in results and in an estimate of their memory), so a slow writer only makes the
workers wait as they did before, never fills the memory.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_WAITING = 1024  # results taken and not yet used by the main thread
MAX_WAITING_SIZE = 128_000_000  # and their size in memory (``size_of``: about, in bytes)
_POLL_S = 0.2  # the main thread waits in steps this long, so Ctrl-C always gets through
# Leaving waits this long for the thread, then goes on: the caller closes the pool, which
# ends any receive the thread may still be blocked in (a worker killed mid-message).
_JOIN_S = 10.0


class Feed(Generic[T]):
    """``start(stop)`` run in a thread, its items handed to whoever iterates the feed.

    ``start`` must end soon after ``stop`` is set (``Pool.map_unordered`` does within 0.2 s,
    without replacing a worker or handing out work). Used as a context manager: leaving it
    (normally, on an error or on Ctrl-C) stops the thread and waits for it, so that nothing
    touches the pool once the caller closes it; a thread still blocked after ``_JOIN_S`` (in a
    receive from a worker stuck mid-message) is left to the pool's closing, which ends it. An
    error raised by ``start`` is raised again to the iterating thread, after the items before
    it."""

    def __init__(self, start: Callable[[threading.Event], Iterator[T]], size_of: Callable[[T], int],
                 max_waiting: int = MAX_WAITING, max_size: int = MAX_WAITING_SIZE) -> None:
        self._start, self._size_of = start, size_of
        self._max_waiting, self._max_size = max_waiting, max_size
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._waiting: deque[tuple[T, int]] = deque()
        self._size = 0
        self._done = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="kb-feed", daemon=True)

    def __enter__(self) -> Feed[T]:
        try:
            self._thread.start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(_JOIN_S)

    def __iter__(self) -> Iterator[T]:
        while True:
            with self._changed:
                while not self._waiting and not self._done:
                    self._changed.wait(_POLL_S)
                if self._waiting:
                    item, size = self._waiting.popleft()
                    self._size -= size
                    self._changed.notify_all()
                elif self._error is not None:
                    raise self._error
                else:
                    return
            yield item

    def _run(self) -> None:
        try:
            for item in self._start(self._stop):
                size = self._size_of(item)
                with self._changed:
                    # One item always gets in, however big: the feed never blocks on itself.
                    while self._waiting and not self._stop.is_set() and (
                            len(self._waiting) >= self._max_waiting or self._size + size > self._max_size):
                        self._changed.wait(_POLL_S)
                    if self._stop.is_set():
                        return
                    self._waiting.append((item, size))
                    self._size += size
                    self._changed.notify_all()
        except BaseException as exc:  # noqa: BLE001 - handed to the iterating thread
            self._error = exc
        finally:
            with self._changed:
                self._done = True
                self._changed.notify_all()

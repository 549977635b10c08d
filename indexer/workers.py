"""A small process pool for extraction that can stop one runaway file without stopping the run.

concurrent.futures cannot kill a worker stuck in a hostile file; here every worker is its own
``spawn``ed process (nothing inherited: no lock, no SQLite handle), a task over its time limit
gets its worker killed and replaced, a worker that dies takes only its task down, and every
worker exits on its own when its parent disappears (even after a SIGKILL).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import multiprocessing.connection as mp_connection
import os
import pickle
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Crash:
    """What a task gives back when its worker had to be stopped or died."""

    reason: str


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this worker when the parent's thread that started it ends:
    the watching thread cannot run while a C call (a regular expression on a hostile file)
    holds the interpreter lock, and such a worker outlived a killed ``kb index`` at 100 % CPU.
    Only for workers started by the parent's main thread, which ends with the parent."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(3)


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _send_all(outq: queue.SimpleQueue[Any], conn: Any) -> None:
    while (message := outq.get()) is not None:
        try:
            conn.send(message)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
            # Nothing was written (pickling comes first): the task fails, the pipe stays sound.
            kind, key, _ = message
            conn.send((kind, key, Crash(f"résultat intransmissible ({type(exc).__name__})")))


@contextmanager
def _without_sigint() -> Iterator[None]:
    """Start children that ignore Ctrl-C: a terminal sends it to the whole process group, and
    each worker would print its own KeyboardInterrupt traceback. The parent alone stops the
    run (with one French line) and stops the workers.

    On POSIX, Ctrl-C is blocked while the child starts: the child inherits the blocked signal
    from its first instruction, and a Ctrl-C arriving meanwhile waits, then interrupts the
    parent. Ignoring it instead (as on Windows, where a console sends Ctrl-C to every
    process and the worker ignores it itself once started) lost a Ctrl-C that came while
    a worker was being replaced: the run went on to the end."""
    if hasattr(signal, "pthread_sigmask"):
        previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
        return
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change handlers; the worker ignores it itself
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _worker_main(func: Callable[[Any], Any], inbox: Any, conn: Any, current: Any, parent: int,
                 memory_bytes: int | None, with_parent: bool = False) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if with_parent:
        _die_with_parent(parent)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    # Libraries log their complaints about damaged files; each failure already comes back as
    # a reason, and the parent's terminal belongs to the progress bar.
    logging.getLogger().addHandler(logging.NullHandler())
    if memory_bytes:
        _limit_memory(memory_bytes)
    # Results leave through this worker's own pipe, from a thread with an unbounded local
    # queue: the worker goes on extracting while the parent is busy committing, and a worker
    # killed mid-send breaks only its own pipe (a Queue shared by all workers has a write lock
    # that a killed worker can take to its grave, hanging every other one).
    outq: queue.SimpleQueue[Any] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(outq, conn), daemon=True)
    sender.start()
    while True:
        task = inbox.get()
        if task is None:
            outq.put(None)
            sender.join()
            return
        key, payload = task
        # "start" lets the parent time this task even while others wait in the inbox;
        # ``current`` (shared memory, no lock) names the culprit if the worker dies before its
        # messages are sent.
        current.value = key
        outq.put(("start", key, None))
        result = func(payload)
        current.value = -1
        outq.put(("done", key, result))


def _limit_memory(limit: int) -> None:
    try:
        import resource  # POSIX only; on Windows the time limit still applies
    except ImportError:
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass


class _Slot:
    def __init__(self, ctx: Any, func: Callable[[Any], Any], memory: int | None) -> None:
        self.inbox = ctx.SimpleQueue()
        self.conn, child_conn = ctx.Pipe(duplex=False)
        self.current = ctx.Value("q", -1, lock=False)
        # Linux ties a child's death signal to the thread that started it: a worker started
        # by another thread (a replacement, started by the feed's) is left to its watcher.
        with_parent = threading.current_thread() is threading.main_thread()
        self.process = ctx.Process(target=_worker_main,
                                   args=(func, self.inbox, child_conn, self.current, os.getpid(), memory,
                                         with_parent),
                                   daemon=True)
        with _without_sigint():
            self.process.start()
        child_conn.close()  # the worker holds the only write end: its death reads as EOF here
        self.assigned: deque[int] = deque()
        self.running: int | None = None
        self.started = 0.0
        self.broken = False  # its pipe hit EOF or a torn message: the worker is gone
        self.told_to_stop = False

    def ask_to_stop(self) -> None:
        """Tell the worker to exit once its inbox is done (killed if the inbox is gone)."""
        if self.told_to_stop:
            return
        self.told_to_stop = True
        try:
            self.inbox.put(None)
        except (OSError, ValueError):
            self.process.kill()

    def give(self, key: int, payload: Any) -> None:
        self.assigned.append(key)
        self.inbox.put((key, payload))

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            self.ask_to_stop()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


class Pool(Generic[T, R]):
    """``map_unordered(items)`` yields ``(item, result or Crash)`` as workers finish.

    Each worker holds up to ``depth`` tasks, so workers keep extracting while the caller is
    busy with a result (e.g. committing a batch to the index)."""

    def __init__(self, func: Callable[[T], R], workers: int, timeout_s: float,
                 memory_bytes: int | None = None, depth: int = 32) -> None:
        self.func = func
        self.workers = max(1, workers)
        self.timeout_s = timeout_s
        self.memory_bytes = memory_bytes
        self.depth = depth
        self._ctx = mp.get_context("spawn")
        self._slots: list[_Slot] = [self._new_slot() for _ in range(self.workers)]

    def _new_slot(self) -> _Slot:
        return _Slot(self._ctx, self.func, self.memory_bytes)

    def map_unordered(self, items: Iterable[T], stop: threading.Event | None = None) -> Iterator[tuple[T, R | Crash]]:
        """Yield ``(item, result)`` for every item, in the order workers finish; the result is a
        ``Crash`` for an item whose worker died, ran out of memory or ran over time (that worker
        is replaced, the items it held are run again). Ends early, within 0.2 s, once ``stop``
        is set (the items still out are then left to ``close``)."""
        todo: deque[tuple[int, T]] = deque(enumerate(items))
        by_key = dict(todo)
        owner: dict[int, _Slot] = {}
        while (todo or owner) and not (stop is not None and stop.is_set()):
            for slot in self._slots:
                while len(slot.assigned) < self.depth and todo:
                    key, item = todo.popleft()
                    slot.give(key, item)
                    owner[key] = slot
            message = self._receive()
            if stop is not None and stop.is_set():
                return  # no worker replaced, no work handed out once stopped
            if message is None:
                yield from self._reap(owner, by_key, todo)
                continue
            kind, key, result = message
            sender = owner.get(key)
            if sender is None:
                continue  # a late message from a worker already replaced
            if kind == "start":
                sender.running, sender.started = key, time.monotonic()
                continue
            del owner[key]
            sender.assigned.remove(key)
            sender.running = None
            yield by_key.pop(key), result
            if self._late(sender):
                yield from self._reap(owner, by_key, todo)

    def _receive(self) -> tuple[str, int, Any] | None:
        """The next message from any worker, or None after 0.2 s or when a pipe broke."""
        live = {s.conn: s for s in self._slots if not s.broken}
        for ready in mp_connection.wait(list(live), timeout=0.2):
            conn = cast(Any, ready)  # wait() returns the Connection objects it was given
            try:
                message: tuple[str, int, Any] = conn.recv()
                return message
            except (EOFError, OSError, pickle.UnpicklingError):
                live[conn].broken = True
                return None
        return None

    def _late(self, slot: _Slot) -> bool:
        return slot.running is not None and time.monotonic() - slot.started > self.timeout_s

    def _reap(self, owner: dict[int, _Slot], by_key: dict[int, T],
              todo: deque[tuple[int, T]]) -> Iterator[tuple[T, Crash]]:
        """Replace workers that died or ran over time: the task they were running fails with a
        reason, the tasks still waiting in their inbox go back to the queue."""
        for i, slot in enumerate(self._slots):
            dead = slot.broken or not slot.process.is_alive()
            if not (dead or self._late(slot)) or not (slot.assigned or dead):
                continue
            if dead:
                if slot.process.exitcode is None:  # its pipe broke first: let it finish dying
                    slot.process.join(timeout=1)
                code = slot.process.exitcode
                if code in (-9, 137):
                    reason = "mémoire insuffisante pour extraire ce fichier"
                elif code == -6 and self.memory_bytes:
                    # A C library that cannot allocate under the worker's memory limit aborts.
                    reason = "l'extraction s'est arrêtée brutalement (code -6, le plus souvent un manque de mémoire)"
                else:
                    reason = f"l'extraction s'est arrêtée brutalement (code {code})"
            else:
                reason = f"extraction trop longue (plus de {self.timeout_s:g} s) : fichier abandonné"
            slot.stop(kill=True)
            self._slots[i] = self._new_slot()
            # The culprit is the running task, or, if the worker died before saying which, the
            # first one it was given: every death costs one task, so the run always ends.
            # Results it computed but had not sent yet are lost: those tasks go back to the queue.
            current = slot.current.value
            culprit = (current if current in slot.assigned else slot.running if slot.running is not None
                       else (slot.assigned[0] if slot.assigned else None))
            for key in reversed(slot.assigned):
                del owner[key]
                if key != culprit:
                    todo.appendleft((key, by_key[key]))
            if culprit is not None:
                yield by_key.pop(culprit), Crash(reason)

    def finish(self) -> None:
        """Tell every worker to exit once its work is done, without waiting: they shut down
        side by side (a worker's interpreter takes ~0.15 s to exit) while the caller goes on.
        The pool takes no more work; ``close`` then waits for them."""
        for slot in self._slots:
            slot.ask_to_stop()

    def close(self) -> None:
        """Stop every worker."""
        self.finish()
        for slot in self._slots:
            slot.stop()

    def __enter__(self) -> Pool[T, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""The extraction pool: a task that hangs or kills its worker costs that task only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from threading import Event

import pytest

from indexer.feed import Feed
from indexer.workers import Crash, Pool
from tests.test_crash import default_sigint


def job(value: str) -> str:
    if value == "hang":
        time.sleep(600)
    if value == "die":
        os._exit(7)
    return value.upper()


def marked(path: str) -> str:
    Path(path).touch()
    return path


def _eventually(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
    return condition()


def test_results_come_back_for_every_item() -> None:
    items = [f"doc{i}" for i in range(40)]
    with Pool(job, workers=2, timeout_s=30) as pool:
        results = dict(pool.map_unordered(items))
    assert results == {i: i.upper() for i in items}


def test_hanging_and_dying_tasks_fail_alone() -> None:
    items = ["a", "hang", "b", "die", "c", "d", "e", "f"]
    started = time.monotonic()
    with Pool(job, workers=2, timeout_s=2) as pool:
        results = dict(pool.map_unordered(items))
    assert time.monotonic() - started < 60
    assert {k: v for k, v in results.items() if not isinstance(v, Crash)} == {
        "a": "A", "b": "B", "c": "C", "d": "D", "e": "E", "f": "F"}
    assert "trop longue" in results["hang"].reason  # type: ignore[union-attr]
    assert "brutalement" in results["die"].reason  # type: ignore[union-attr]


HELD_CTRL_C = """
import os, signal, sys, time
from indexer.workers import _without_sigint
try:
    with _without_sigint():
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)  # nothing happens while the worker starts
        print("started", flush=True)
    time.sleep(30)
except KeyboardInterrupt:
    sys.exit(42)
"""


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
def test_a_ctrl_c_while_a_worker_starts_is_not_lost() -> None:
    """A worker is (re)started with Ctrl-C held back; one that arrives meanwhile interrupts the
    parent as soon as the worker is started, instead of vanishing (the run then went on). In a
    fresh interpreter: the test runner's own threads would take the signal."""
    done = subprocess.run([sys.executable, "-c", HELD_CTRL_C], capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parents[1], preexec_fn=default_sigint)
    assert done.stdout.strip() == "started" and done.returncode == 42, (done.returncode, done.stderr)


def test_the_workers_go_on_while_the_writer_is_busy(tmp_path: Path) -> None:
    """What the feed is for: a reader busy with one result (a commit) left the worker idle once
    its few files ahead were done; through a feed it extracts everything meanwhile."""
    def done() -> int:
        return len(list(tmp_path.glob("*/m*")))

    for name in ("pool", "feed"):
        (tmp_path / name).mkdir()
    items = [str(tmp_path / "pool" / f"m{i}") for i in range(40)]
    with Pool(marked, workers=1, timeout_s=30, depth=2) as pool:
        results = pool.map_unordered(items)
        first = [next(results)]
        time.sleep(1.0)  # busy: nobody hands the worker more files
        assert done() <= 4
        assert sorted([*first, *results]) == sorted((i, i) for i in items)
    items = [str(tmp_path / "feed" / f"m{i}") for i in range(40)]
    before = done()
    with Pool(marked, workers=1, timeout_s=30, depth=2) as pool:
        with Feed(lambda stop: pool.map_unordered(items, stop), lambda _: 1) as feed:
            taken = iter(feed)
            first = [next(taken)]
            assert _eventually(lambda: done() - before == len(items))  # while the reader is busy
            assert sorted([*first, *taken]) == sorted((i, i) for i in items)


def test_a_feed_bounds_what_waits_and_stops_when_left() -> None:
    produced: list[int] = []
    ended = Event()

    def start(stop: Event) -> Iterator[int]:
        try:
            while not stop.is_set():
                produced.append(len(produced))
                yield produced[-1]
        finally:
            ended.set()

    with Feed(start, lambda _: 1, max_waiting=3) as feed:
        taken = iter(feed)
        assert next(taken) == 0
        assert _eventually(lambda: len(produced) >= 5)
        time.sleep(0.3)
        assert len(produced) == 5  # one taken, three waiting, one held until there is room
        assert [next(taken) for _ in range(10)] == list(range(1, 11))
    assert ended.is_set()  # left early: the producer was stopped and waited for


def test_a_feed_hands_on_the_items_then_the_error() -> None:
    def start(stop: Event) -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("disque illisible")

    with Feed(start, lambda _: 1) as feed:
        taken = []
        with pytest.raises(OSError, match="disque illisible"):
            for item in feed:
                taken.append(item)
    assert taken == [1, 2]


def test_what_a_result_weighs_in_the_feed_is_about_what_it_takes(tmp_path: Path) -> None:
    """The feed's bound counts each waiting result's memory from its text and its postings
    (``ingest._memory_of``): within a factor of two of what it takes once received, for the
    demo corpus's documents of every format."""
    import pickle
    import tracemalloc

    from indexer.extract.base import Limits
    from indexer.extract.registry import sniff
    from indexer.ingest import _memory_of
    from indexer.task import Task, run
    from kb.model import FileIdentity
    from kb.store import file_sha256

    folder = Path(__file__).resolve().parents[1] / "corpus" / "documents"
    formats: set[str] = set()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        fmt = sniff(path)
        if fmt is None or fmt in formats:
            continue
        formats.add(fmt)
        st = path.stat()
        outcome = run(Task(FileIdentity(str(path), st.st_size, st.st_mtime, file_sha256(path), fmt), "x",
                           str(tmp_path), Limits()))
        assert outcome.document is not None and outcome.analyzed is not None
        blob = pickle.dumps(outcome)
        tracemalloc.start()
        received = pickle.loads(blob)
        taken = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert received == outcome
        assert taken / 2 <= _memory_of((None, outcome)) <= 2 * taken, (path.name, taken)
    assert {"pdf", "docx", "odt", "html", "markdown"} <= formats


def hold_the_lock(_: str) -> str:
    """A C call that holds the interpreter lock for minutes: catastrophic backtracking."""
    import re

    re.match(r"(a|aa)+$", "a" * 60 + "b")
    return "never"


ORPHAN = """
import sys, time
from indexer.workers import Pool
from tests.test_workers import hold_the_lock
with Pool(hold_the_lock, workers=1, timeout_s=600) as pool:
    print(pool._slots[0].process.pid, flush=True)
    for _ in pool.map_unordered(["x"]):
        pass
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's parent-death signal (Linux)")
def test_a_worker_stuck_holding_the_lock_dies_with_a_killed_parent() -> None:
    """Its watching thread cannot run while a C call holds the lock: the kernel kills it."""
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1])
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    time.sleep(1.0)  # the worker is in its regular expression
    parent.kill()
    parent.wait(30)

    def gone() -> bool:
        try:
            with open(f"/proc/{worker}/stat") as f:
                return f.read().split()[2] == "Z"  # a zombie waiting for init to reap it
        except FileNotFoundError:
            return True

    try:
        assert _eventually(gone, 30), "the worker outlived its killed parent"
    finally:
        if not gone():
            os.kill(worker, signal.SIGKILL)


def test_a_document_that_cannot_be_packed_fails_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Packing the record now happens in the worker: its failure is the file's, in French.
    import indexer.task as task_module
    from indexer.extract.base import Limits
    from kb.model import FileIdentity
    from kb.store import file_sha256

    path = Path(__file__).resolve().parents[1] / "corpus" / "documents"
    path = next(p for p in sorted(path.rglob("*.md")))
    st = path.stat()
    task = task_module.Task(FileIdentity(str(path), st.st_size, st.st_mtime, file_sha256(path), "markdown"), "x",
                            str(tmp_path), Limits())

    def fails(_: object) -> bytes:
        raise UnicodeEncodeError("utf-8", "\udcff", 0, 1, "surrogates not allowed")

    monkeypatch.setattr(task_module, "pack", fails)
    outcome = task_module.run(task)
    assert outcome.document is None and outcome.record is None
    assert outcome.error is not None and outcome.error.startswith("erreur inattendue pendant l'analyse")
    monkeypatch.undo()
    assert task_module.run(task).record is not None

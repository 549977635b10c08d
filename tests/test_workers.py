"""The extraction pool: a task that hangs or kills its worker costs that task only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.workers import Crash, Pool
from tests.test_crash import default_sigint


def job(value: str) -> str:
    if value == "hang":
        time.sleep(600)
    if value == "die":
        os._exit(7)
    return value.upper()


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

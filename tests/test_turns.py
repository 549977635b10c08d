"""Ordinary searches before costly ones: a costly search (a pasted paragraph, dozens of
prefixes) waits while ordinary requests wait for the shared searcher, and costly searches go one
at a time, so that a few hostile clients cannot make every reader wait behind them."""

from __future__ import annotations

import threading
import time

from kb.strategy import costly as _costly
from kb.turns import Turns


def test_waiting_ordinary_requests_go_before_a_costly_one() -> None:
    turns, searcher = Turns(), threading.Lock()
    order: list[str] = []
    first_holds, release_first = threading.Event(), threading.Event()

    def request(name: str, costly: bool, hold: threading.Event | None = None) -> None:
        with turns.turn(costly), searcher:
            order.append(name)
            if hold is not None:
                first_holds.set()
                hold.wait(5)

    first = threading.Thread(target=request, args=("ordinary 1", False, release_first))
    first.start()
    assert first_holds.wait(5)
    costly = threading.Thread(target=request, args=("costly", True))
    costly.start()
    time.sleep(0.1)  # the costly request is now waiting for its turn
    second = threading.Thread(target=request, args=("ordinary 2", False))
    second.start()
    time.sleep(0.1)  # and an ordinary one for the searcher
    release_first.set()
    for t in (first, costly, second):
        t.join(5)
    assert order == ["ordinary 1", "ordinary 2", "costly"]


def test_costly_requests_take_turns_one_at_a_time() -> None:
    turns = Turns()
    inside, most = 0, 0
    lock = threading.Lock()

    def request() -> None:
        nonlocal inside, most
        with turns.turn(True):
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.02)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=request) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert most == 1


def test_what_counts_as_costly() -> None:
    assert not _costly("Peut-on financer un poste d'adulte-relais avec le FIPD ?")
    assert not _costly('"conseil citoyen" particip*')
    assert _costly(" ".join(f"mot{i}" for i in range(40)))
    assert _costly("de* co* pa*")
    assert _costly('"a b" "c d" "e f"')

"""Killed at any moment, a run leaves the last committed state searchable and consistent;
the next run converges with every document exactly once."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

KB = [sys.executable, "-m", "kb.cli"]


def kb(home: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KB, "--home", str(home), *args], capture_output=True, text=True, check=check,
                          timeout=600)


def committed(home: Path) -> int:
    try:
        with sqlite3.connect(home / "catalog.sqlite", timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM documents WHERE sync = 'done'").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_mid_run_then_rerun_converges(many_files: Path, tmp_path: Path, seed: int) -> None:
    home = tmp_path / "home"
    rng = random.Random(seed)
    proc = subprocess.Popen([*KB, "--home", str(home), "index", str(many_files), "--batch", "20", "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait for a first commit, then kill at a random moment of the rest of the run.
    deadline = time.monotonic() + 120
    while committed(home) == 0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(rng.uniform(0, 1.5))
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed: use more files"

    # The last commit answers searches even before any repair.
    found = json.loads(kb(home, "search", "données", "--json", check=True).stdout)
    assert found["total"] >= 0 and all(hit["id"] for hit in found["hits"])

    rerun = kb(home, "index", str(many_files), "--json")
    assert rerun.returncode in (0, 1), rerun.stderr
    report = json.loads(rerun.stdout)
    total_files = len(list(many_files.iterdir()))
    counted = report["indexed"] + report["unchanged"] + len(report["skipped"]) + len(report["failed"])
    assert counted == total_files

    assert kb(home, "check").returncode == 0
    stats = json.loads(kb(home, "stats", "--json", check=True).stdout)
    indexed = total_files - len(report["skipped"]) - len(report["failed"])
    assert stats["documents"] == stats["index_documents"] == indexed
    # Each file exactly once in the catalog.
    with sqlite3.connect(home / "catalog.sqlite") as db:
        paths = [row[0] for row in db.execute("SELECT path FROM documents")]
    assert len(paths) == len(set(paths))


def test_second_writer_refuses_with_clear_message(many_files: Path, tmp_path: Path) -> None:
    from kb.knowledgebase import KnowledgeBase

    home = tmp_path / "home"
    with KnowledgeBase(home) as base, base.writing():
        second = kb(home, "index", str(many_files))
        assert second.returncode == 1
        assert "un autre processus écrit déjà" in second.stderr
        assert "Traceback" not in second.stderr
    assert kb(home, "check").returncode == 0


@pytest.fixture(scope="module")
def indexed_home(many_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("indexed") / "home"
    result = kb(home, "index", str(many_files), "--json")
    assert result.returncode in (0, 1), result.stderr
    return home


def copy_home(home: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(home, target)
    return target


def kill_after(args: list[str], delay: float) -> int:
    proc = subprocess.Popen([*KB, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    return proc.wait(timeout=60)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_during_rebuild_keeps_the_old_index(indexed_home: Path, tmp_path: Path, seed: int) -> None:
    home = copy_home(indexed_home, tmp_path)
    before = json.loads(kb(home, "stats", "--json", check=True).stdout)
    kill_after(["--home", str(home), "rebuild"], random.Random(seed).uniform(0.3, 2.5))
    assert json.loads(kb(home, "search", "données", "--json", check=True).stdout)["total"] > 0
    assert kb(home, "check").returncode == 0
    after = json.loads(kb(home, "stats", "--json", check=True).stdout)
    assert after["documents"] == after["index_documents"] == before["documents"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sigkill_during_rm_is_repaired_by_the_next_writer(indexed_home: Path, tmp_path: Path, seed: int) -> None:
    home = copy_home(indexed_home, tmp_path)
    with sqlite3.connect(home / "catalog.sqlite") as db:
        ids = [row[0] for row in db.execute("SELECT id FROM documents WHERE status = 'indexed' LIMIT 120")]
    kill_after(["--home", str(home), "rm", *ids], random.Random(seed).uniform(0.2, 1.5))
    check = kb(home, "check")
    assert check.returncode == 0 or "opération interrompue" in check.stdout
    kb(home, "rebuild", check=True)  # any writer finishes interrupted work first
    assert kb(home, "check").returncode == 0
    stats = json.loads(kb(home, "stats", "--json", check=True).stdout)
    assert stats["documents"] == stats["index_documents"]
    # By date: every document listed, copies and versions too (by relevance a group is one hit).
    remaining = json.loads(kb(home, "search", "--json", "--limit", "1000", "--sort", "date").stdout)
    with sqlite3.connect(home / "catalog.sqlite") as db:
        in_catalog = {row[0] for row in db.execute("SELECT id FROM documents WHERE status = 'indexed'")}
    assert {h["id"] for h in remaining["hits"]} == in_catalog


@pytest.fixture(scope="module")
def longer_run(many_files: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same documents four times over, each copy changed by a line: a run long enough that
    a Ctrl-C sent after its first commit lands in the middle of it, even on a loaded machine."""
    root = tmp_path_factory.mktemp("longer")
    for copy in range(4):
        for path in many_files.iterdir():
            mark = f"<!-- copie {copy} -->" if path.suffix == ".html" else f"Copie {copy}."
            text = path.read_text(encoding="utf-8", errors="replace")
            (root / f"{copy}-{path.name}").write_text(f"{text}\n\n{mark}\n", encoding="utf-8")
    return root


def default_sigint() -> None:
    """In the child, Ctrl-C as a terminal gives it: something earlier in the test run may leave
    the runner ignoring SIGINT (a disposition children inherit), which a user's shell never does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def interrupted_run(files: Path, tmp_path: Path, options: list[str],
                    session: bool) -> tuple[Path, subprocess.Popen[str], str, str]:
    """`kb index` interrupted by Ctrl-C once its first batch is committed: to the process alone,
    or (``session``) to its whole process group as a terminal does. On a loaded machine the
    commit may be seen only once the run has ended: then it is tried again on a new base."""
    seen = []
    for attempt in range(3):
        home = tmp_path / f"home-{attempt}"
        proc = subprocess.Popen([*KB, "--home", str(home), "index", str(files), *options],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=session,
                                preexec_fn=default_sigint)
        deadline = time.monotonic() + 120
        while committed(home) == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        seen.append(committed(home))
        if proc.poll() is None:
            if session:
                os.killpg(proc.pid, signal.SIGINT)
            else:
                proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        if proc.returncode != 0:
            break
    # Shown if the run was never interrupted: the documents committed when Ctrl-C was sent.
    return home, proc, err, f"{err}\n(committed when interrupted: {seen}; output: {out[-500:]})"


def test_ctrl_c_stops_with_a_french_message_and_nothing_lost(longer_run: Path, tmp_path: Path) -> None:
    home, proc, err, note = interrupted_run(longer_run, tmp_path, ["--batch", "20"], session=False)
    assert proc.returncode == 130, note
    assert "interrompue" in err and "Traceback" not in err
    assert kb(home, "check").returncode == 0
    rerun = json.loads(kb(home, "index", str(longer_run), "--json").stdout)
    total = len(list(longer_run.iterdir()))
    assert rerun["indexed"] + rerun["unchanged"] + len(rerun["skipped"]) + len(rerun["failed"]) == total


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from kb.knowledgebase import KnowledgeBase
kb = KnowledgeBase(Path(sys.argv[1]))
with kb.writing(), kb.index.batch(clear=True) as batch:
    for doc in kb.documents():
        batch.put(doc, new=True)
    os.kill(os.getpid(), signal.SIGKILL)  # what `kb rebuild` killed before its commit leaves
"""


def test_files_left_by_a_killed_rebuild_are_reported_then_cleaned(indexed_home: Path, tmp_path: Path) -> None:
    from kb.whoosh_backend.internals.toc import orphans
    from kb.whoosh_backend.schema import INDEX_NAME

    home = copy_home(indexed_home, tmp_path)
    before = sorted(p.name for p in (home / "index").iterdir())
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(home)], capture_output=True, timeout=300)
    assert done.returncode == -signal.SIGKILL
    left = sorted(set(p.name for p in (home / "index").iterdir()) - set(before))
    assert left, "a killed writer should leave files behind"
    assert {p.name for p in orphans(home / "index", INDEX_NAME)} == set(left)

    check = kb(home, "check")
    assert check.returncode == 0, check.stdout
    assert "orphelin(s) dans l'index" in check.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    assert kb(home, "index", str(empty)).returncode == 0  # any writer cleans up first
    assert sorted(p.name for p in (home / "index").iterdir()) == before
    assert "orphelin" not in kb(home, "check").stdout
    assert json.loads(kb(home, "search", "données", "--json", check=True).stdout)["total"] > 0


def test_ctrl_c_in_a_terminal_prints_one_french_line(longer_run: Path, tmp_path: Path) -> None:
    """A terminal's Ctrl-C reaches the whole process group, extraction workers included."""
    home, proc, err, note = interrupted_run(longer_run, tmp_path, ["--batch", "20", "--workers", "2"], session=True)
    assert proc.returncode == 130, note
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "interrompue" in lines[0], err
    assert kb(home, "check").returncode == 0

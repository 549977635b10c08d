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


@pytest.fixture(scope="module")
def many_files(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few hundred real French documents (Markdown and HTML) copied to a temporary folder."""
    source = shared / "corpora" / "french-docs"
    files = sorted(p for p in source.rglob("*") if p.suffix in (".md", ".html"))[:300]
    assert len(files) >= 250, "the shared French corpus should hold hundreds of documents"
    root = tmp_path_factory.mktemp("many")
    for i, f in enumerate(files):
        target = root / f"{i:03d}-{f.name}"
        shutil.copyfile(f, target)
    return root


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
    assert stats["documents"] == stats["index_documents"] == total_files - len(report["skipped"]) - len(report["failed"])
    # Each file exactly once in the catalog.
    with sqlite3.connect(home / "catalog.sqlite") as db:
        paths = [row[0] for row in db.execute("SELECT path FROM documents")]
    assert len(paths) == len(set(paths))


def test_second_writer_refuses_with_clear_message(many_files: Path, tmp_path: Path) -> None:
    from kb.base import KnowledgeBase

    home = tmp_path / "home"
    with KnowledgeBase(home) as base, base.writing():
        second = kb(home, "index", str(many_files))
        assert second.returncode == 1
        assert "un autre processus écrit déjà" in second.stderr
        assert "Traceback" not in second.stderr
    assert kb(home, "check").returncode == 0

"""Folders that cannot be read and files that vanish during a run: each is reported with its
own reason, the rest of the tree is indexed, and nothing is blamed on the base."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import indexer.ingest
import indexer.task
from indexer.extract.base import Limits
from indexer.ingest import Options, index_paths
from indexer.plan import scan
from indexer.task import Task, run
from indexer.walk import VANISHED
from kb.knowledgebase import KnowledgeBase
from kb.model import FileIdentity

TEXT = "Le conseil citoyen du quartier prioritaire a organisé une marche exploratoire nocturne."


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    for rel in ("a.md", "prive/b.md", "public/c.md"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {rel}\n\n{TEXT}\n", encoding="utf-8")
    return root


def block(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``folder`` behave as a folder without read or search permission does for an
    ordinary user (tests run as root, for whom chmod 000 blocks nothing): listing it and
    looking at anything inside raise PermissionError."""
    real_scandir, real_stat = os.scandir, os.stat
    inside = str(folder) + os.sep

    def denied(path: str) -> PermissionError:
        return PermissionError(13, "Permission denied", path)

    def scandir(path: Any = ".") -> Any:
        if isinstance(path, (str, os.PathLike)) and os.path.abspath(os.fspath(path)) == str(folder):
            raise denied(str(folder))
        return real_scandir(path)

    def stat(path: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(path, (str, os.PathLike)) and os.path.abspath(os.fspath(path)).startswith(inside):
            raise denied(os.fspath(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "stat", stat)


def test_an_unreadable_folder_is_reported_and_the_rest_indexed(docs: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    with KnowledgeBase(tmp_path / "home") as kb:
        with monkeypatch.context() as m:
            block(m, docs / "prive")
            report = index_paths(kb, [docs], Options(workers=1))
        assert sorted(Path(p).name for p in report.indexed) == ["a.md", "c.md"]
        [(failed, reason)] = report.failed
        assert Path(failed).name == "prive" and reason.startswith("dossier illisible (permission refusée)")

        # Readable again: its document comes in. Unreadable once more: it stays, even with
        # --prune, and the run goes on (it used to stop with « écriture impossible dans <home> »).
        assert [Path(p).name for p in index_paths(kb, [docs], Options(workers=1)).indexed] == ["b.md"]
        with monkeypatch.context() as m:
            block(m, docs / "prive")
            again = index_paths(kb, [docs], Options(workers=1, prune=True))
        assert again.removed == [] and len(again.unchanged) == 2
        assert [Path(p).name for p, _ in again.failed] == ["prive"]
        assert kb.stats().documents == 3 and kb.check().ok


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root reads a folder whatever its mode: chmod 000 blocks nothing "
                           "(the test above simulates it)")
def test_a_folder_without_permissions_is_reported_by_kb_index(docs: Path, tmp_path: Path) -> None:
    (docs / "prive").chmod(0)
    try:
        done = subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(tmp_path / "home"), "index", str(docs)],
                              capture_output=True, text=True, timeout=300)
    finally:
        (docs / "prive").chmod(0o755)
    assert done.returncode == 1
    assert "dossier illisible" in done.stdout and "écriture impossible" not in done.stderr
    assert done.stdout.startswith("2 indexés")


def test_a_file_deleted_after_the_scan_is_reported_as_vanished(docs: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def scan_then_delete(*args: Any, **kwargs: Any) -> Any:
        plan = scan(*args, **kwargs)
        (docs / "public" / "c.md").unlink()
        return plan

    monkeypatch.setattr(indexer.ingest, "scan", scan_then_delete)
    with KnowledgeBase(tmp_path / "home") as kb:
        report = index_paths(kb, [docs], Options(workers=1))
    assert report.failed == [(str(docs / "public" / "c.md"), VANISHED)]
    assert len(report.indexed) == 2


def test_a_file_deleted_while_it_is_extracted_is_reported_as_vanished(docs: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Deleted after its text was read, before its copy into the store."""
    from kb.store import file_sha256

    path = docs / "a.md"
    real_extract = indexer.task.extract

    def extract_then_delete(target: Path, limits: Limits = Limits(), ocr: Any = None) -> Any:
        extracted = real_extract(target, limits, ocr)
        target.unlink()
        return extracted

    monkeypatch.setattr(indexer.task, "extract", extract_then_delete)
    store = tmp_path / "store"
    store.mkdir()
    file = FileIdentity(str(path), path.stat().st_size, path.stat().st_mtime, file_sha256(path), "text")
    outcome = run(Task(file, "abc123", str(store), Limits()))
    assert outcome.error == VANISHED and not outcome.disk_full
    assert not any(store.rglob("*")) or all(p.is_dir() for p in store.rglob("*"))
    shutil.rmtree(store)


def test_an_html_page_without_text_is_indexed_with_a_warning(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "vide.html").write_text(
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Agenda du quartier</title>'
        '<script src="app.js"></script></head><body><div id="app"></div><noscript></noscript>'
        "<script>document.getElementById('app').textContent = 'chargement';</script></body></html>",
        encoding="utf-8")
    (docs / "pleine.html").write_text(f"<html><body><main><p>{TEXT}</p></main></body></html>", encoding="utf-8")
    with KnowledgeBase(tmp_path / "home") as kb:
        report = index_paths(kb, [docs], Options(workers=1))
    assert len(report.indexed) == 2
    assert [(Path(p).name, r.startswith("aucun texte extrait")) for p, r in report.warnings] == [("vide.html", True)]


def test_an_edit_keeping_size_and_mtime_is_seen_with_force(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    note = docs / "note.md"
    note.write_text("# Compte rendu\n\nLa réunion du conseil citoyen porte sur la marche exploratoire.\n",
                    encoding="utf-8")
    home = tmp_path / "home"

    def kb(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args], capture_output=True,
                              text=True, timeout=300)

    assert kb("index", str(docs)).returncode == 0
    st = note.stat()
    # Same size, same mtime: one word of six letters swapped for another.
    note.write_text(note.read_text(encoding="utf-8").replace("marche", "balade"), encoding="utf-8")
    os.utime(note, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert note.stat().st_size == st.st_size

    assert '"indexed": 0' in kb("index", str(docs), "--json").stdout  # invisible without --force
    forced = kb("index", "--force", str(docs), "--json")
    assert forced.returncode == 0 and '"indexed": 1' in forced.stdout
    assert '"total": 1' in kb("search", "balade", "--json").stdout
    assert '"indexed": 0' in kb("index", "--force", str(docs), "--json").stdout  # unchanged: nothing redone


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes (POSIX)")
def test_a_file_swapped_for_a_named_pipe_after_the_walk_is_refused_not_waited_for(
        docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Listed as a regular file, a named pipe when the scan reads it: opening a pipe for reading
    waits for a writer, forever. Run in a thread so that a regression fails instead of hanging."""
    import threading

    import indexer.plan
    from indexer.walk import walk
    from kb.store import NOT_REGULAR, file_sha256

    target = docs / "public" / "c.md"

    def walk_then_swap(*args: Any, **kwargs: Any) -> Any:
        found = list(walk(*args, **kwargs))
        target.unlink()
        os.mkfifo(target)
        return iter(found)

    monkeypatch.setattr(indexer.plan, "walk", walk_then_swap)
    results: list[Any] = []

    def index() -> None:
        with KnowledgeBase(tmp_path / "home") as kb:
            results.append(index_paths(kb, [docs], Options(workers=1)))

    worker = threading.Thread(target=index, daemon=True)
    worker.start()
    worker.join(120)
    if worker.is_alive():  # unblock the reader before failing
        fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("kb index waited for a writer on a named pipe")
    [report] = results
    assert report.failed == [(str(target), NOT_REGULAR)]
    assert len(report.indexed) == 2
    # A worker given the pipe (swapped after the scan) refuses it the same way.
    with pytest.raises(OSError):
        file_sha256(target)


def test_system_causes_are_told_in_french() -> None:
    """The system's own words are English; people read French. A cause without a French text
    keeps the system's, and an error made of a message alone keeps its message."""
    import errno

    from kb.errors import os_cause

    assert os_cause(PermissionError(errno.EACCES, "Permission denied", "/x")) == "permission refusée"
    assert os_cause(OSError(errno.ELOOP, "Too many levels of symbolic links")) == "trop de niveaux de liens symboliques"
    assert os_cause(OSError(errno.ENAMETOOLONG, "File name too long")) == "nom de fichier trop long"
    assert os_cause(OSError(errno.EXDEV, "Invalid cross-device link")) == "Invalid cross-device link"
    assert os_cause(OSError("le fichier a changé pendant l'indexation")) == "le fichier a changé pendant l'indexation"

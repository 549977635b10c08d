"""A base damaged on disk: the catalog (the record of every document) unreadable is said
plainly by every command, with no traceback; the index (derived from the catalog) damaged is
rebuilt from the catalog when the base is opened."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bench.load import free_port

ROOT = Path(__file__).resolve().parents[1]
TEXT = """Le conseil citoyen du quartier prioritaire a organisé une marche exploratoire avec les
habitantes, le bailleur social et la délégation du préfet. Les propositions ont été remises
au comité de pilotage du contrat de ville."""


def kb(home: Path, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("damaged")
    docs = root / "docs"
    docs.mkdir()
    for n in range(3):
        (docs / f"marche-{n}.md").write_text(f"# Marche exploratoire {n}\n\n{TEXT}\n", encoding="utf-8")
    home = root / "home"
    assert kb(home, "index", str(docs)).returncode == 0
    return home


def copy_of(home: Path, tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(home, target)
    return target


@pytest.mark.parametrize("command", [["search", "marche"], ["index"], ["stats"], ["check"],
                                     ["serve", "--processes", "1"], ["serve", "--processes", "2"]])
def test_an_unreadable_catalog_is_said_plainly(indexed: Path, tmp_path: Path, command: list[str]) -> None:
    home = copy_of(indexed, tmp_path)
    for name in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
        (home / name).unlink(missing_ok=True)
    (home / "catalog.sqlite").write_bytes(b"ceci n'est pas une base SQLite" * 100)
    if command[0] == "serve":
        command = [*command, "--port", str(free_port())]
    if command[0] == "index":
        command = [*command, str(tmp_path)]
    done = kb(home, *command)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "catalogue" in done.stderr and "illisible" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_damaged_index_is_rebuilt_from_the_catalog(indexed: Path, tmp_path: Path) -> None:
    home = copy_of(indexed, tmp_path)
    for toc in (home / "index").glob("*.toc"):
        toc.write_bytes(b"\x00garbage" * 10)
    done = kb(home, "search", "marche exploratoire", "--json")
    assert done.returncode == 0, done.stderr
    assert "reconstruction depuis le catalogue" in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["total"] == 3
    assert kb(home, "check").returncode == 0


def damage_segment(home: Path, how: str) -> None:
    """What a power cut can leave of a segment: nothing, a cut file, or zeros."""
    segments = sorted((home / "index").glob("*.seg"))
    assert segments, "the index should hold a segment"
    for seg in segments:
        if how == "missing":
            seg.unlink()
        elif how == "truncated":
            with seg.open("r+b") as f:
                f.truncate(seg.stat().st_size // 3)
        else:  # zeroed: the size is right, the blocks never reached the disk
            size = seg.stat().st_size
            seg.write_bytes(b"\x00" * size)


@pytest.mark.parametrize("how", ["missing", "truncated", "zeroed"])
def test_a_damaged_segment_is_rebuilt_from_the_catalog(indexed: Path, tmp_path: Path, how: str) -> None:
    home = copy_of(indexed, tmp_path)
    damage_segment(home, how)
    done = kb(home, "search", "marche exploratoire", "--json")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Aborted" not in done.stderr
    assert "reconstruction depuis le catalogue" in done.stderr
    assert json.loads(done.stdout)["total"] == 3
    assert kb(home, "check").returncode == 0


@pytest.mark.parametrize("command", [["check"], ["stats", "--json"], ["index"], ["show", "marche-1.md"]])
def test_every_command_repairs_a_missing_segment(indexed: Path, tmp_path: Path, command: list[str]) -> None:
    home = copy_of(indexed, tmp_path)
    damage_segment(home, "missing")
    if command[0] == "index":
        command = [*command, str(indexed.parent / "docs")]
    if command[0] == "show":
        command = ["show", str(indexed.parent / "docs" / "marche-1.md")]
    done = kb(home, *command)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "Aborted" not in done.stderr
    stats = json.loads(kb(home, "stats", "--json").stdout)
    assert stats["documents"] == stats["index_documents"] == 3


def test_the_server_repairs_a_damaged_segment_when_it_opens_the_base(indexed: Path, tmp_path: Path) -> None:
    from webui import create_app

    home = copy_of(indexed, tmp_path)
    damage_segment(home, "truncated")
    app = create_app({"KB_HOME": str(home), "TESTING": True})
    try:
        page = app.test_client().get("/recherche?q=marche+exploratoire")
        assert page.status_code == 200
        assert "Marche exploratoire 1" in page.get_data(as_text=True)
    finally:
        app.extensions["kb"].close()


def test_a_segment_lost_while_the_server_runs_gives_a_french_page(indexed: Path, tmp_path: Path) -> None:
    from webui import create_app

    home = copy_of(indexed, tmp_path)
    app = create_app({"KB_HOME": str(home), "TESTING": True})
    try:
        damage_segment(home, "missing")  # before the first search opens the segment
        client = app.test_client()
        page = client.get("/recherche?q=marche")
        body = page.get_data(as_text=True)
        assert page.status_code == 503
        assert "kb rebuild" in body and "endommagé" in body and "Traceback" not in body
        api = client.get("/api/search?q=marche")
        assert api.status_code == 503 and "kb rebuild" in api.get_json()["error"]
    finally:
        app.extensions["kb"].close()


def test_an_index_commit_is_on_disk_before_the_catalog_says_done(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file of the committed index, and its folder, is fsynced before the rows settle."""
    import os

    from kb.catalog import INDEXED, Catalog, Change
    from kb.knowledgebase import KnowledgeBase
    from kb.model import Document, FileIdentity

    synced: set[str] = set()
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.add(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    seen_at_settle: list[tuple[set[str], set[str]]] = []
    real_settle = Catalog.settle

    def settle(self: Catalog, ids: object) -> None:
        index = tmp_path / "home" / "index"
        files = {str(p) for p in index.iterdir() if p.is_file() and p.suffix in (".seg", ".toc")}
        seen_at_settle.append((files, set(synced)))
        real_settle(self, ids)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(Catalog, "settle", settle)
    with KnowledgeBase(tmp_path / "home") as base, base.writing():
        file = FileIdentity("/x/marche.txt", 1, 1.0, "0" * 64, "text")
        doc = Document(id="d1", file=file, title="Marche exploratoire", text=TEXT)
        base.apply([Change("d1", file, INDEXED, document=doc)])
    files, fsynced = seen_at_settle[-1]
    assert any(f.endswith(".seg") for f in files) and any(f.endswith(".toc") for f in files)
    assert files <= fsynced
    assert str(tmp_path / "home" / "index") in fsynced

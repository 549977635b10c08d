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

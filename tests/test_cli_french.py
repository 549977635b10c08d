"""The CLI of a French tool: no base created by a command that only reads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READERS = [["search", "jardin"], ["show", "abc123"], ["stats"], ["check"], ["rm", "abc123"], ["rebuild"],
           ["serve", "--port", "1"]]


def env() -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("KB_HOME", "KB_BASE_URL", "KB_SYNONYMS",
                                                                 "KB_THESAURUS", "NO_COLOR", "FORCE_COLOR")}
    clean["PYTHONPATH"] = str(ROOT)
    return clean


def kb(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], cwd=cwd, env=env(),
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_reading_command_does_not_create_a_base_in_the_working_folder(tmp_path: Path, command: list[str]) -> None:
    done = kb(*command, cwd=tmp_path)
    assert done.returncode not in (0, None), done.stdout
    assert not (tmp_path / "kb-data").exists()
    assert str(tmp_path / "kb-data") in done.stderr
    assert "kb index DOSSIER" in done.stderr and "Traceback" not in done.stderr
    assert "Aucun résultat" not in done.stdout


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_mistyped_home_is_said_not_created(tmp_path: Path, command: list[str]) -> None:
    home = tmp_path / "bsae"
    done = kb("--home", str(home), *command)
    assert done.returncode != 0
    assert not home.exists()
    assert f"aucune base Passerelles dans {home}" in done.stderr


def test_an_empty_folder_is_not_a_base_either(tmp_path: Path) -> None:
    done = kb("--home", str(tmp_path), "stats")
    assert done.returncode != 0 and "aucune base" in done.stderr
    assert list(tmp_path.iterdir()) == []

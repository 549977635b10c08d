"""What `kb index` never reads, on real folders: the base itself (wherever it is), files that
symbolic links lead to outside the indexed folders, devices and named pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = {
    "charte.txt": "Charte partenariale du contrat de ville\n\nLe quartier prioritaire et ses habitants.\n",
    "fiche.md": "# Fiche d'expérience\n\nUn jardin partagé dans le quartier prioritaire.\n",
}


def kb(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KB_HOME", "KB_SYNONYMS", "KB_THESAURUS")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "kb.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def index_json(cwd: Path, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    done = kb(cwd, *args, "--json")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def project(tmp_path: Path) -> Path:
    folder = tmp_path / "projet"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def every_path(report: dict) -> list[str]:  # type: ignore[type-arg]
    return [row["path"] for key in ("skipped", "failed", "warnings") for row in report[key]]


@pytest.mark.parametrize("home", [None, "kb-data", "donnees/base", "ABSOLUTE"])
def test_the_base_is_never_indexed_wherever_it_is(tmp_path: Path, home: str | None) -> None:
    folder = project(tmp_path)
    args = ("--home", str(folder / "base-absolue") if home == "ABSOLUTE" else home) if home else ()
    home_path = (folder / "base-absolue") if home == "ABSOLUTE" else folder / (home or "kb-data")
    for run in (1, 2, 3):  # the store and lock files exist from the first run on
        code, report = index_json(folder, *args, "index", ".")
        assert code == 0, report
        assert report["failed"] == [] and report["warnings"] == []
        assert report["skipped"] == [{"path": str(home_path), "reason": report["skipped"][0]["reason"]}]
        assert "base Passerelles" in report["skipped"][0]["reason"]
        assert report["indexed"] + report["unchanged"] == len(DOCS)
        assert report["indexed"] == (len(DOCS) if run == 1 else 0)
    stats = json.loads(kb(folder, *args, "stats", "--json").stdout)
    assert stats["documents"] == len(DOCS)
    assert kb(folder, *args, "check").returncode == 0


def test_another_base_and_a_path_inside_the_base_are_not_indexed(tmp_path: Path) -> None:
    folder = project(tmp_path)
    assert kb(folder, "--home", "autre-base", "index", "charte.txt").returncode == 0
    code, report = index_json(folder, "index", ".")  # the default home, ./kb-data
    assert code == 0
    assert sorted(row["path"] for row in report["skipped"]) == [str(folder / "autre-base"), str(folder / "kb-data")]
    assert report["indexed"] == len(DOCS)
    code, report = index_json(folder, "index", "kb-data/store", "kb-data/catalog.sqlite")
    assert code == 0 and report["indexed"] == 0
    assert [row["path"] for row in report["skipped"]] == [str(folder / "kb-data" / "catalog.sqlite"),
                                                          str(folder / "kb-data" / "store")]

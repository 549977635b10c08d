"""Extraction limits are configurable from the command line and say clearly what stopped a file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "documents"


def kb(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=300)


def test_page_size_and_length_limits(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    study = CORPUS / "etudes-rapports" / "etude-evaluation-contrat-ville-saint-aurele.pdf"
    shutil.copyfile(study, docs / study.name)
    big = docs / "recueil.txt"
    paragraph = (CORPUS / "fiches-experience" / "fiche-participation-habitants-tilleuls.md").read_text(encoding="utf-8")
    big.write_text(paragraph * (1_500_000 // len(paragraph.encode("utf-8")) + 1), encoding="utf-8")
    long_text = docs / "long.md"
    long_text.write_text(paragraph * 3, encoding="utf-8")

    result = kb(tmp_path / "home", "index", str(docs), "--json", "--max-pages", "3", "--max-file-mb", "1",
                "--max-chars", "2000")
    assert result.returncode == 1, result.stderr
    failed = {Path(f["path"]).name: f["reason"] for f in json.loads(result.stdout)["failed"]}
    assert set(failed) == {study.name, "recueil.txt"}
    assert "pages" in failed[study.name]
    assert "volumineux" in failed["recueil.txt"]
    shown = json.loads(kb(tmp_path / "home", "show", str(long_text), "--json").stdout)
    assert len(shown["text"]) <= 2000 < len(paragraph * 3)

    # Unchanged files that failed are reported again, not re-read...
    again = json.loads(kb(tmp_path / "home", "index", str(docs), "--json").stdout)
    assert {Path(f["path"]).name for f in again["failed"]} == set(failed)
    # ...unless asked: within the default limits they are indexed.
    retried = json.loads(kb(tmp_path / "home", "index", str(docs), "--json", "--retry-failed").stdout)
    assert retried["failed"] == [] and retried["indexed"] == 2

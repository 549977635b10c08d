"""Indexing everything under ../shared/corpora: every hostile file is indexed or reported with a
reason, nothing crashes or hangs, the base is consistent, and a rerun has nothing to do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def kb(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def indexed_all(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    corpora = shared / "corpora"
    home = tmp_path_factory.mktemp("all") / "home"
    result = kb(home, "index", str(corpora), "--json", "--timeout", "60")
    assert "Traceback" not in result.stderr
    return home, corpora, {"code": result.returncode, "report": json.loads(result.stdout)}


def all_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(root).parts)]


def test_every_file_is_accounted_for_once(indexed_all: tuple[Path, Path, dict]) -> None:
    _, corpora, run = indexed_all
    report = run["report"]
    files = all_files(corpora)
    listed = [x["path"] for x in report["skipped"] + report["failed"]]
    assert len(listed) == len(set(listed))
    assert report["indexed"] + report["unchanged"] + len(listed) == len(files)
    assert run["code"] == 1  # the hostile corpora hold files that must fail
    assert all(x["reason"].strip() for x in report["skipped"] + report["failed"])


@pytest.mark.parametrize("folder", ["bad-pdfs", "office"])
def test_hostile_files_are_indexed_or_failed_never_skipped(indexed_all: tuple[Path, Path, dict], folder: str) -> None:
    _, corpora, run = indexed_all
    skipped = {x["path"] for x in run["report"]["skipped"]}
    hostile = [p for p in all_files(corpora / folder) if p.name != "MANIFEST.tsv"]
    assert hostile
    assert not [str(p) for p in hostile if str(p) in skipped]


def test_encrypted_files_say_so(indexed_all: tuple[Path, Path, dict]) -> None:
    _, corpora, run = indexed_all
    reasons = {x["path"]: x["reason"] for x in run["report"]["failed"]}
    assert "mot de passe" in reasons[str(corpora / "bad-pdfs" / "pysf__libreoffice-writer-password.pdf")]
    assert "mot de passe" in reasons[str(corpora / "office" / "tika__testWORD_protected_passtika.docx")]


def test_base_is_consistent_and_rerun_does_nothing(indexed_all: tuple[Path, Path, dict]) -> None:
    home, corpora, run = indexed_all
    assert kb(home, "check").returncode == 0
    rerun = kb(home, "index", str(corpora), "--json")
    again = json.loads(rerun.stdout)
    # Only scans whose OCR the time limit cut are read again: their OCR goes on from the cache.
    cut = [w for w in run["report"]["warnings"] if w["reason"].startswith("OCR inachevé")]
    assert again["indexed"] == len(cut)
    assert again["unchanged"] == run["report"]["indexed"] - len(cut)
    assert again["failed"] == run["report"]["failed"]
    stats = json.loads(kb(home, "stats", "--json").stdout)
    assert stats["documents"] == stats["index_documents"] == run["report"]["indexed"]


def test_legacy_and_scanned_files_are_read(indexed_all: tuple[Path, Path, dict]) -> None:
    """The Word 97-2003 file is indexed (catdoc/antiword are installed wherever the shared data
    is required, see .ci/run); scanned pages are read by OCR when Tesseract is there, and
    flagged « scanné — OCR non disponible » otherwise; nothing in these formats is skipped."""
    from indexer.extract.ocr import unavailable

    home, corpora, run = indexed_all
    report = run["report"]
    legacy = {".doc", ".rtf", ".pptx", ".xlsx", ".odp", ".ods", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}
    assert not [x for x in report["skipped"] if Path(x["path"]).suffix.lower() in legacy]
    doc = corpora / "french-docs" / "cnig-sru" / "221018_Commentaires_Standard_CNIG_SRU.doc"
    shown = json.loads(kb(home, "show", str(doc), "--json").stdout)
    assert shown["format"] == "doc" and "schema UML" in shown["text"]
    stats = json.loads(kb(home, "stats", "--json").stdout)
    if unavailable() is None:
        assert stats["ocr"] >= 10 and stats["scanned_no_ocr"] == 0
    else:
        assert stats["ocr"] == 0 and stats["scanned_no_ocr"] >= 10

"""OCR in French: scanned PDFs and images become searchable with `kb index`, a born-digital page
is never OCR'd, a re-index never runs OCR twice, the time limit holds, and a base without
Tesseract says which documents are scanned and unread.

Tests that need Tesseract skip with a reason where it is absent, and fail instead when
KB_REQUIRE_OCR=1 (CI installs it, see .ci/run)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from indexer.extract.base import ExtractionError
from indexer.extract.ocr import Ocr, program, unavailable
from indexer.extract.registry import extract
from webui import create_app

SCANS = Path(__file__).resolve().parent / "fixtures" / "scans"
CHARTER = "Charte de la participation des habitants"
MINUTES = "demandé un éclairage renforcé près de l'école élémentaire"


@pytest.fixture(scope="session")
def tesseract() -> str:
    """The tesseract program with French data; skip (or fail under KB_REQUIRE_OCR=1) without."""
    missing = unavailable()
    if missing is None:
        exe = program()
        assert exe
        return exe
    if os.environ.get("KB_REQUIRE_OCR") == "1":
        pytest.fail(f"OCR required (KB_REQUIRE_OCR=1) but unavailable: {missing}")
    pytest.skip(f"OCR unavailable: {missing} (apt-get install tesseract-ocr tesseract-ocr-fra)")


def kb(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), *args], capture_output=True,
                          text=True, timeout=600, env={**os.environ, **(env or {})})


def counting_tesseract(tmp_path: Path, real: str, sleep: bool = False) -> tuple[dict[str, str], Path]:
    """A tesseract that logs each page it is given (then runs the real one, or sleeps)."""
    log = tmp_path / "ocr-calls.log"
    script = tmp_path / "tesseract"
    page = "exec sleep 600" if sleep else f'exec "{real}" "$@"'
    script.write_text(f'#!/bin/sh\nif [ "$1" = stdin ]; then echo page >> "{log}"; {page}; fi\nexec "{real}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return {"KB_TESSERACT": str(script)}, log


def calls(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_scanned_pdf_and_images_are_read_in_french(tesseract: str) -> None:
    on = Ocr(enabled=True)
    pdf = extract(SCANS / "charte-scannee.pdf", ocr=on)
    assert pdf.flags == ["ocr"] and CHARTER in pdf.text and "évaluation" in pdf.text
    for name, phrase in (("charte.png", CHARTER), ("reunion.jpg", MINUTES)):
        image = extract(SCANS / name, ocr=on)
        assert image.format == "image" and image.flags == ["ocr"]
        assert phrase in " ".join(image.text.split()), image.text
    tiff = extract(SCANS / "dossier.tiff", ocr=on)
    assert tiff.page_count == 2 and CHARTER in tiff.text and "quartier des Érables" in tiff.text


def test_image_bomb_is_refused_before_decoding() -> None:
    with pytest.raises(ExtractionError, match="image trop grande"):
        extract(SCANS / "bomb.png", ocr=Ocr(enabled=True))


def test_born_digital_page_is_never_ocrd_and_a_reindex_never_runs_ocr_twice(tesseract: str, tmp_path: Path) -> None:
    env, log = counting_tesseract(tmp_path, tesseract)
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SCANS / "rapport-mixte.pdf", docs)
    home = tmp_path / "home"
    assert kb(home, "index", str(docs), env=env).returncode == 0
    assert calls(log) == 1  # page 1 has a text layer: only page 2 went to Tesseract
    shown = json.loads(kb(home, "show", str(docs / "rapport-mixte.pdf"), "--json").stdout)
    assert shown["flags"] == ["ocr"]
    assert "Page nativement numérique" in shown["text"] and "quartier des Érables" in shown["text"]
    # Re-read in every way that extracts the file again: a copy, a forced run, a new base entry.
    shutil.copy(docs / "rapport-mixte.pdf", docs / "copie.pdf")
    assert kb(home, "index", str(docs), env=env).returncode == 0
    assert kb(home, "index", str(docs), "--force", env=env).returncode == 0
    assert kb(home, "rm", str(docs / "rapport-mixte.pdf")).returncode == 0
    assert kb(home, "index", str(docs), env=env).returncode == 0
    assert calls(log) == 1
    hits = json.loads(kb(home, "search", "éclairage", "--json").stdout)["hits"]
    # The copy and the original are one result (kb.kinship), each listing the other.
    assert len(hits) == 1 and Path(hits[0]["path"]).name in {"rapport-mixte.pdf", "copie.pdf"}
    assert [r["label"].split(" : ")[0] for r in hits[0]["relatives"]] == ["copie"]


def test_kb_index_makes_a_folder_of_scans_searchable(tesseract: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = kb(home, "index", str(SCANS), "--json")
    report = json.loads(done.stdout)
    assert report["indexed"] == 5 and [f["path"] for f in report["failed"]] == [str(SCANS / "bomb.png")]
    assert report["warnings"] == []
    stats = json.loads(kb(home, "stats", "--json").stdout)
    assert stats["ocr"] == 5 and stats["scanned_no_ocr"] == 0
    hits = json.loads(kb(home, "search", "participation habitants", "--json").stdout)["hits"]
    # The scanned charter as a PDF and as a PNG read the same: one result, « aussi en … ».
    found = {Path(h["path"]).name for h in hits}
    found |= {Path(json.loads(kb(home, "show", r["id"], "--json").stdout)["path"]).name
              for h in hits for r in h["relatives"]}
    assert found >= {"charte-scannee.pdf", "charte.png", "dossier.tiff"}
    text = kb(home, "show", str(SCANS / "charte.png")).stdout
    assert "reconnu par OCR" in text


def test_without_tesseract_scans_are_indexed_flagged_counted_then_read_once_it_is_there(
        tesseract: str, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("charte-scannee.pdf", "charte.png"):
        shutil.copy(SCANS / name, docs)
    home = tmp_path / "home"
    absent = {"KB_TESSERACT": str(tmp_path / "no-tesseract")}
    refused = kb(home, "index", str(docs), "--ocr", "always", env=absent)
    assert refused.returncode == 2 and "tesseract-ocr-fra" in refused.stderr and "Traceback" not in refused.stderr
    done = kb(home, "index", str(docs), "--json", env=absent)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["indexed"] == 2
    assert all("scanné — OCR non disponible (Tesseract n'est pas installé)" in w["reason"]
               for w in report["warnings"]) and len(report["warnings"]) == 2
    stats = json.loads(kb(home, "stats", "--json").stdout)
    assert stats["scanned_no_ocr"] == 2 and stats["ocr"] == 0
    assert "2 scannés — OCR non disponible" in kb(home, "stats").stdout
    shown = kb(home, "show", str(docs / "charte.png"))
    assert "scanné — OCR non disponible" in shown.stdout
    doc_id = json.loads(kb(home, "show", str(docs / "charte.png"), "--json").stdout)["id"]
    client = create_app({"KB_HOME": str(home), "TESTING": True}).test_client()
    page = client.get(f"/d/{doc_id}", follow_redirects=True).get_data(as_text=True)
    assert "Scanné — OCR non disponible" in page
    assert client.get(f"/api/documents/{doc_id}").get_json()["flags"] == ["scanned-no-ocr", "no-text"]
    # Tesseract installed: the same unchanged files are read again, once.
    again = json.loads(kb(home, "index", str(docs), "--json").stdout)
    assert again["indexed"] == 2 and again["warnings"] == []
    stats = json.loads(kb(home, "stats", "--json").stdout)
    assert stats["scanned_no_ocr"] == 0 and stats["ocr"] == 2
    assert json.loads(kb(home, "index", str(docs), "--json").stdout)["indexed"] == 0
    page = client.get(f"/d/{doc_id}", follow_redirects=True).get_data(as_text=True)
    assert "Reconnu par" in page and "OCR non disponible" not in page


def test_ocr_cut_by_the_time_limit_is_indexed_and_the_next_run_goes_on(tesseract: str, tmp_path: Path) -> None:
    env, log = counting_tesseract(tmp_path, tesseract, sleep=True)
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SCANS / "rapport-mixte.pdf", docs)
    home = tmp_path / "home"
    done = kb(home, "index", str(docs), "--json", "--timeout", "4", env=env)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["indexed"] == 1 and calls(log) == 1
    (warning,) = report["warnings"]
    assert warning["reason"].startswith("OCR inachevé : la limite de 4 s est venue avant la fin")
    shown = json.loads(kb(home, "show", str(docs / "rapport-mixte.pdf"), "--json").stdout)
    assert shown["flags"] == ["ocr-incomplete"] and "Page nativement numérique" in shown["text"]
    # The next run (a working Tesseract now) reads the unchanged file again and finishes.
    again = json.loads(kb(home, "index", str(docs), "--json").stdout)
    assert again["indexed"] == 1 and again["warnings"] == []
    shown = json.loads(kb(home, "show", str(docs / "rapport-mixte.pdf"), "--json").stdout)
    assert shown["flags"] == ["ocr"] and "quartier des Érables" in shown["text"]
    assert json.loads(kb(home, "index", str(docs), "--json").stdout)["indexed"] == 0


def test_never_turns_ocr_off(tesseract: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(SCANS / "charte.png", docs)
    report = json.loads(kb(home, "index", str(docs), "--ocr", "never", "--json").stdout)
    (warning,) = report["warnings"]
    assert "désactivé par --ocr never" in warning["reason"]

"""Legacy and office formats: Word 97-2003 (.doc), RTF, PowerPoint, Excel, OpenDocument
presentations and spreadsheets; their text and properties, and their hostile cases."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import olefile
import pytest

from indexer.extract.base import ExtractionError, Limits
from indexer.extract.doc import MISSING
from indexer.extract.registry import extract

LEGACY = Path(__file__).resolve().parent / "fixtures" / "legacy"
SHARED_DOC = Path("french-docs/cnig-sru/221018_Commentaires_Standard_CNIG_SRU.doc")


def test_pptx_slides_in_order_with_notes_and_properties() -> None:
    doc = extract(LEGACY / "bilan.pptx")
    assert doc.format == "pptx" and doc.page_count == 3
    assert doc.title == "Bilan du programme de réussite éducative"
    assert doc.author == "Service politique de la ville"
    lines = doc.text.splitlines()
    assert lines.index("Les enfants accompagnés") < lines.index("Chiffres transmis par la caisse des écoles.")
    assert lines.index("Chiffres transmis par la caisse des écoles.") < lines.index("Perspectives")
    assert "Renforcer le lien avec les familles et l’Éducation nationale" in doc.text


def test_xlsx_sheets_rows_and_shared_strings() -> None:
    doc = extract(LEGACY / "programmation.xlsx")
    assert doc.format == "xlsx" and doc.title == "Programmation 2020 du contrat de ville"
    assert "Atelier d’écriture\tMédiathèque Aimé-Césaire\t4500" in doc.text
    assert "Quartiers" in doc.headings and "Les Érables\t5230" in doc.text


def test_odp_and_ods() -> None:
    slides = extract(LEGACY / "diagnostic.odp")
    assert slides.format == "odp"
    assert slides.text.splitlines() == ["Diagnostic partagé du quartier des Tilleuls",
                                        "Priorités : santé, emploi, cadre de vie"]
    sheet = extract(LEGACY / "subventions.ods")
    assert sheet.format == "ods"
    # A million repeated empty rows declared at the end cost nothing and add nothing.
    assert sheet.text.splitlines() == ["Association\tSubvention", "Femmes relais\t3 000 €",
                                       "Boxe éducative\t2 500 €"]


def test_rtf_text_escapes_tables_and_info() -> None:
    doc = extract(LEGACY / "releve.rtf")
    assert doc.format == "rtf"
    assert doc.title == "Relevé de décisions du conseil citoyen"
    assert doc.author == "Maison des habitants" and doc.date == "2004-05-17"
    assert "quartier de l’Alma, à la maison des habitants" in doc.text
    assert "Fête de quartier\tAssociation des locataires" in doc.text
    assert "0100090000" not in doc.text  # the picture's hex data is not text


@pytest.mark.parametrize(("name", "reason"), [
    ("bomb.pptx", "fichier PowerPoint suspect : taux de compression anormal (bombe zip ?)"),
    ("bomb.xlsx", "classeur Excel suspect : taux de compression anormal (bombe zip ?)"),
    ("protected.xlsx", "document protégé par un mot de passe"),
    ("truncated.pptx", "fichier PowerPoint endommagé : archive zip illisible"),
])
def test_hostile_office_files_give_a_reason(name: str, reason: str) -> None:
    with pytest.raises(ExtractionError) as info:
        extract(LEGACY / name)
    assert info.value.reason == reason


def test_unzipped_limit_applies_to_new_formats() -> None:
    with pytest.raises(ExtractionError, match="décompressé"):
        extract(LEGACY / "bilan.pptx", Limits(max_unzipped_bytes=10_000))


def test_damaged_rtf(tmp_path: Path) -> None:
    broken = tmp_path / "coupé.rtf"
    whole = (LEGACY / "releve.rtf").read_bytes()
    broken.write_bytes(whole[:whole.index(b"Les habitants")])
    doc = extract(broken)  # a cut RTF still gives the text before the cut
    assert "quartier de l’Alma" in doc.text


def _require_word_reader() -> None:
    if shutil.which("catdoc") is None and shutil.which("antiword") is None:
        pytest.skip("neither catdoc nor antiword is installed (apt-get install catdoc)")


def test_shared_doc_is_read(shared: Path) -> None:
    _require_word_reader()
    doc = extract(shared / "corpora" / SHARED_DOC)
    assert doc.format == "doc" and doc.title == "Appel à commentaires CNIG"
    assert "J’ai peut-être pas bien compris le schema UML" in doc.text
    assert doc.date == "2022-10-21"


def test_encrypted_doc_says_so(shared: Path, tmp_path: Path) -> None:
    # The same file with the FIB's fEncrypted bit set, as Word writes a password-protected file.
    copy = tmp_path / "protégé.doc"
    shutil.copy(shared / "corpora" / SHARED_DOC, copy)
    with olefile.OleFileIO(str(copy), write_mode=True) as ole:
        data = bytearray(ole.openstream("WordDocument").read())
        flags = struct.unpack("<H", data[10:12])[0] | 0x0100
        data[10:12] = struct.pack("<H", flags)
        ole.write_stream("WordDocument", bytes(data))
    with pytest.raises(ExtractionError) as info:
        extract(copy)
    assert info.value.reason == "document protégé par un mot de passe"


def test_doc_without_catdoc_nor_antiword_is_failed_with_the_way_out(shared: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(shared / "corpora" / SHARED_DOC, docs)
    env = {"PATH": str(tmp_path / "empty-path"), "KB_TESSERACT": "/nowhere"}
    done = subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(tmp_path / "home"), "index", str(docs),
                           "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 1, done.stderr
    (failed,) = json.loads(done.stdout)["failed"]
    assert failed["reason"] == MISSING and "catdoc" in failed["reason"]


def test_every_new_format_is_searchable(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), "index", str(LEGACY), "--json"],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    assert report["indexed"] == 5 and len(report["failed"]) == 4, report
    stats = json.loads(subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), "stats", "--json"],
                                      capture_output=True, text=True, timeout=60).stdout)
    assert stats["by_format"] == {"pptx": 1, "xlsx": 1, "odp": 1, "ods": 1, "rtf": 1}
    for query, name in (("caisse des écoles", "bilan.pptx"), ("médiathèque", "programmation.xlsx"),
                        ("Tilleuls", "diagnostic.odp"), ("boxe", "subventions.ods"), ("locataires", "releve.rtf")):
        hits = json.loads(subprocess.run([sys.executable, "-m", "kb.cli", "--home", str(home), "search", query,
                                          "--json"], capture_output=True, text=True, timeout=60).stdout)
        assert Path(hits["hits"][0]["path"]).name == name, (query, hits)

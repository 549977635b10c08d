"""Format detection by content, and the registry's promises: reasons, never raw errors."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

from indexer.extract import registry
from indexer.extract.base import Extracted, ExtractionError, Limits, UnsupportedFormat
from indexer.extract.registry import extract, sniff


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rapport.pdf", "pdf"),
        ("leading-junk.pdf", "pdf"),
        ("contrat.docx", "docx"),
        ("compte-rendu.odt", "odt"),
        ("article-cp1252.html", "html"),
        ("front-matter.md", "markdown"),
        ("cp1252.txt", "text"),
        ("utf8-bom.txt", "text"),
        ("protected.docx", "docx"),  # OLE container with EncryptionInfo: an encrypted .docx
        ("truncated.docx", "docx"),  # broken zip: still claimed, so it is reported as damaged
        ("old-word.doc", "doc"),  # OLE container with a WordDocument stream: Word 97-2003
        ("legacy/bilan.pptx", "pptx"),
        ("legacy/programmation.xlsx", "xlsx"),
        ("legacy/protected.xlsx", "xlsx"),  # encrypted OOXML named .xlsx: reported as an Excel file
        ("legacy/diagnostic.odp", "odp"),
        ("legacy/subventions.ods", "ods"),
        ("legacy/releve.rtf", "rtf"),
        ("scans/charte.png", "image"),
        ("scans/reunion.jpg", "image"),
        ("scans/dossier.tiff", "image"),
    ],
)
def test_sniff_fixtures(fixtures: Path, name: str, expected: str | None) -> None:
    assert sniff(fixtures / name) == expected


@pytest.mark.parametrize(
    ("source", "renamed", "expected"),
    [
        ("rapport.pdf", "rapport.txt", "pdf"),
        ("article-cp1252.html", "page.txt", "html"),
        ("contrat.docx", "contrat.zip", "docx"),
        ("compte-rendu.odt", "sans-extension", "odt"),
    ],
)
def test_content_wins_over_extension(
    fixtures: Path, tmp_path: Path, source: str, renamed: str, expected: str
) -> None:
    target = tmp_path / renamed
    shutil.copy(fixtures / source, target)
    assert sniff(target) == expected


def test_binary_junk_named_txt_is_not_text(tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_bytes(bytes(range(256)) * 8)
    assert sniff(junk) is None
    with pytest.raises(UnsupportedFormat):
        extract(junk)


@pytest.mark.parametrize("controls, text", [(81, True), (82, False)])
def test_a_few_stray_control_bytes_leave_a_text_file_text(tmp_path: Path, controls: int, text: bool) -> None:
    """Up to one control byte in a hundred (NUL, bell, escape; not tabs or line ends) is
    noise in a text file; more makes it a binary."""
    head = bytes([0, 7, 27, 31]) * 30
    page = tmp_path / "notes.txt"
    page.write_bytes((head[:controls] + b"\t\r\n\x0c" * 500 + "Texte français ".encode() * 600)[:8192])
    assert sniff(page) == ("text" if text else None)


def test_images_we_do_not_read_are_skipped_with_a_reason(tmp_path: Path) -> None:
    image = tmp_path / "photo.gif"
    image.write_bytes(b"GIF89a" + b"\x00" * 200)
    with pytest.raises(UnsupportedFormat, match="image"):
        extract(image)


def test_a_damaged_jpeg_fails_with_a_reason(tmp_path: Path) -> None:
    image = tmp_path / "photo.jpg"
    image.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200)
    with pytest.raises(ExtractionError, match="^image illisible"):
        extract(image)


def test_old_word_that_is_not_a_real_word_file_is_damaged(fixtures: Path) -> None:
    with pytest.raises(ExtractionError) as info:
        extract(fixtures / "old-word.doc")
    assert info.value.reason.startswith("document Word 97-2003 endommagé")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "vide.pdf"
    empty.touch()
    with pytest.raises(ExtractionError, match="^fichier vide$"):
        extract(empty)


def test_file_over_the_size_limit(fixtures: Path) -> None:
    with pytest.raises(ExtractionError, match="trop volumineux"):
        extract(fixtures / "rapport.pdf", Limits(max_file_bytes=1000))


def test_named_pdf_without_pdf_content_is_damaged_not_skipped(tmp_path: Path) -> None:
    fake = tmp_path / "rapport.pdf"
    fake.write_text("ceci n'est pas un PDF", encoding="utf-8")
    with pytest.raises(ExtractionError) as info:
        extract(fake)
    assert not isinstance(info.value, UnsupportedFormat)
    assert "endommagé" in info.value.reason


def test_library_errors_become_reasons(fixtures: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: Path, limits: Limits, ocr: object = None) -> Extracted:
        raise KeyError("/Root")

    monkeypatch.setitem(registry.EXTRACTORS, "pdf", broken)
    with pytest.raises(ExtractionError) as info:
        extract(fixtures / "rapport.pdf")
    assert info.value.reason.startswith("PDF illisible : ")
    assert isinstance(info.value.__cause__, KeyError)


def test_library_warnings_stay_inside(fixtures: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pytest turns warnings into errors here: an extractor's warning must not escape.
    def noisy(path: Path, limits: Limits) -> Extracted:
        warnings.warn("odd font", UserWarning, stacklevel=1)
        return Extracted(format="text", text="ok")

    monkeypatch.setitem(registry.EXTRACTORS, "text", noisy)
    assert extract(fixtures / "cp1252.txt").text == "ok"


def test_shared_office_oddities(shared: Path) -> None:
    office = shared / "corpora" / "office"
    assert sniff(office / "tika__testODTMacro.fodt") == "odt"
    assert sniff(office / "tika__testWORD_protected_passtika.docx") == "docx"
    assert sniff(office / "tika__testWORD_macros.docm") == "docx"
    assert sniff(office / "tika__testODTnotaZipFile.odt") is None
    assert sniff(shared / "corpora" / "bad-pdfs" / "qpdf__leading-junk.pdf") == "pdf"


def test_every_shared_french_doc_is_sniffed(shared: Path) -> None:
    root = shared / "corpora" / "french-docs"
    by_suffix = {".pdf": "pdf", ".docx": "docx", ".odt": "odt", ".md": "markdown",
                 ".html": "html", ".htm": "html", ".txt": "text", ".doc": "doc"}
    for path in root.rglob("*"):
        if path.is_file() and path.suffix.lower() in by_suffix:
            assert sniff(path) == by_suffix[path.suffix.lower()], path

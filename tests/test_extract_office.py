"""DOCX and ODT extraction: order, headings, properties, and every failure mode of the corpus."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from indexer.extract.base import ExtractionError, Limits
from indexer.extract.registry import extract

ENCRYPTED = "document protégé par un mot de passe"


def test_docx_body_in_order_with_table(fixtures: Path) -> None:
    doc = extract(fixtures / "contrat.docx")
    assert doc.format == "docx"
    assert doc.text.splitlines() == [
        "Contrat de ville",
        "Préambule. Élève, cœur, œuvre, à côté, déjà, où, ça, Noël, maïs, « guillemets », l’été.",
        "Les engagements",
        "Partenaire\tEngagement",
        "Région\tFinancer l’œuvre commune",
        "Conclusion après le tableau.",
    ]
    assert doc.headings == ["Contrat de ville", "Les engagements"]
    assert doc.title == "Contrat de ville 2024"
    assert doc.author == "Préfecture"
    assert doc.description == "Engagements des partenaires"
    assert doc.keywords == ["contrat de ville", "quartiers"]
    assert doc.language == "fr-FR"


def test_odt_body_headings_and_meta(fixtures: Path) -> None:
    doc = extract(fixtures / "compte-rendu.odt")
    assert doc.format == "odt"
    assert doc.text.splitlines()[0] == "Ordre du jour"
    assert "Ouverture de la séance. Élève, cœur, œuvre" in doc.text
    assert "Point\tDécision" in doc.text
    assert doc.text.endswith("Fin de la séance.")
    assert doc.headings == ["Ordre du jour"]
    assert doc.title == "Compte rendu de séance"
    assert doc.author == "Secrétariat"
    assert doc.keywords == ["séance", "conseil citoyen"]


def _odt_with_spaces(path: Path, count: str) -> Path:
    """An ODT whose paragraph and table cell are split by ``<text:s text:c="count"/>``."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", f'<?xml version="1.0"?><office:document-content {ns}><office:body><office:text>'
                   f'<text:p>Contrat de ville<text:s text:c="{count}"/>du quartier</text:p>'
                   '<table:table><table:table-row><table:table-cell>'
                   f'<text:p>Quartier<text:s text:c="{count}"/>prioritaire</text:p>'
                   '</table:table-cell></table:table-row></table:table>'
                   '</office:text></office:body></office:document-content>')
    return path


# text:c is a positive integer by the spec: anything else is read as the default, one space,
# rather than failing the document; a huge count (300,000 spaces from a 400-byte file) is capped.
@pytest.mark.parametrize(
    ("count", "spaces"),
    [("3", 3), ("beaucoup", 1), ("2.0", 1), ("-4", 1), ("0", 1), ("", 1), ("9" * 20, 40), ("300000", 40), ("0040", 40)],
)
def test_odt_space_count_is_read_leniently_and_capped(tmp_path: Path, count: str, spaces: int) -> None:
    doc = extract(_odt_with_spaces(tmp_path / "espaces.odt", count))
    assert doc.text == f"Contrat de ville{' ' * spaces}du quartier\nQuartier prioritaire"


def test_zip_bomb_is_refused_before_inflating(fixtures: Path) -> None:
    with pytest.raises(ExtractionError, match="bombe zip"):
        extract(fixtures / "bomb.docx")


def test_unzipped_size_limit(fixtures: Path) -> None:
    with pytest.raises(ExtractionError, match="suspect"):
        extract(fixtures / "contrat.docx", Limits(max_unzipped_bytes=10_000))


def test_encrypted_and_truncated_fixtures(fixtures: Path) -> None:
    with pytest.raises(ExtractionError) as info:
        extract(fixtures / "protected.docx")
    assert info.value.reason == ENCRYPTED
    with pytest.raises(ExtractionError, match="endommagé"):
        extract(fixtures / "truncated.docx")


def test_shared_core_and_custom_properties(shared: Path) -> None:
    office = shared / "corpora" / "office"
    doc = extract(office / "pydocx__doc-coreprops.docx")
    assert (doc.title, doc.description, doc.author) == ("Title", "Description", "Steve Canny")
    assert doc.meta["subject"] == "Subject"
    doc = extract(office / "tika__testWORD_custom_props.docx")
    assert doc.title == "My Title" and doc.meta["subject"] == "My subject"
    assert len(doc.meta) > 5  # custom properties are kept as declared fields
    assert extract(office / "pydocx__doc-no-coreprops.docx").title is None


@pytest.mark.parametrize(
    ("name", "phrase"),
    [
        ("mammoth__strict-format.docx", None),  # ISO Strict namespaces
        ("mammoth__utf8-bom.docx", None),  # XML parts start with a BOM
        ("tika__testWORD_macros.docm", "The quick brown fox."),
        ("tika__testAltChunkHTML.docx", "Simple paragraph with a"),
        ("tika__testWORD_numbered_list.docx", "Within cell 1"),
        ("tika__testODTMacro.fodt", "Hello dear user,"),
        ("odfpy__simpletable.odt", "\t"),
    ],
)
def test_shared_variants_have_text(shared: Path, name: str, phrase: str | None) -> None:
    doc = extract(shared / "corpora" / "office" / name)
    assert doc.text.strip()
    if phrase:
        assert phrase in doc.text


def test_text_box_is_read_once(shared: Path) -> None:
    # Word stores a text box twice (DrawingML + VML fallback): index it once.
    assert extract(shared / "corpora" / "office" / "mammoth__text-box.docx").text == "Datum plane"


def test_flat_odt_skips_embedded_images(shared: Path) -> None:
    assert "iVBOR" not in extract(shared / "corpora" / "office" / "tika__testODTMacro.fodt").text


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("tika__testWORD_protected_passtika.docx", ENCRYPTED),
        ("tika__testWORD_truncated.docx", "document Word endommagé : archive zip illisible"),
        ("tika__testODTnotaZipFile.odt",
         "fichier .odt endommagé : son contenu n'est pas celui d'un document OpenDocument"),
    ],
)
def test_shared_failures_have_reasons(shared: Path, name: str, reason: str) -> None:
    with pytest.raises(ExtractionError) as info:
        extract(shared / "corpora" / "office" / name)
    assert info.value.reason == reason


def test_every_office_file_extracts_or_gives_a_reason(
    shared: Path,
    read_manifest: Callable[[Path], list[dict[str, str]]],
    time_limit: Callable[[int], AbstractContextManager[None]],
) -> None:
    folder = shared / "corpora" / "office"
    rows = read_manifest(folder)
    assert len(rows) == 39
    failed = []
    for row in rows:
        with time_limit(30):
            try:
                extract(folder / row["file"])
            except ExtractionError as exc:
                failed.append(row["file"])
                assert exc.reason
    assert sorted(failed) == [
        "tika__testODTnotaZipFile.odt",
        "tika__testWORD_protected_passtika.docx",
        "tika__testWORD_truncated.docx",
    ]


def test_shared_french_odt(shared: Path) -> None:
    doc = extract(shared / "corpora" / "french-docs" / "cnig-sru" / "220823_standard_SRU_projet_final.odt")
    assert doc.title == "Standard CNIG SRU"
    assert doc.text.startswith("Prescriptions nationales pour la structuration des règlements d’urbanisme")
    assert "Contexte" in doc.headings

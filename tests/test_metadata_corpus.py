"""Metadata inference on the real documents of ../shared/corpora (French public bodies' files).

Texts are read here with PyYAML and pypdfium2 directly so that these tests do not depend on
the extractors' own tests; they check what the manifest states about each file.
"""

from __future__ import annotations

import csv
import os
import re
import time
from pathlib import Path

import pytest
import yaml

from indexer.extract.base import Extracted
from indexer.metadata import DOC_TYPES, infer_metadata

SHARED = Path(__file__).resolve().parents[2] / "shared"
ISO = re.compile(r"^\d{4}(-\d\d(-\d\d)?)?$")


@pytest.fixture(scope="module")
def corpora() -> Path:
    path = SHARED / "corpora"
    if not (path / "french-docs" / "MANIFEST.tsv").is_file():
        if os.environ.get("KB_REQUIRE_SHARED") == "1":
            pytest.fail(f"shared corpora missing at {path} (KB_REQUIRE_SHARED=1)")
        pytest.skip(f"shared corpora not found at {path}")
    return path


@pytest.fixture(scope="module")
def manifest(corpora: Path) -> list[dict[str, str]]:
    with (corpora / "french-docs" / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def read_markdown(path: Path) -> Extracted:
    """Markdown with optional YAML front matter, headings from '#' lines."""
    raw = path.read_text(encoding="utf-8")
    meta: object = {}
    body = raw
    if raw.startswith("---"):
        parts = raw.split("---", 2)
        if len(parts) == 3:
            try:
                meta = yaml.safe_load(parts[1]) or {}
                body = parts[2]
            except yaml.YAMLError:
                meta = {}
    headings = [line.lstrip("#").strip() for line in body.splitlines() if line.startswith("#")]
    return Extracted(format="md", text=body, meta=meta if isinstance(meta, dict) else {}, headings=headings)


def read_pdf(path: Path) -> Extracted:
    pdfium = pytest.importorskip("pypdfium2")
    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
        info = pdf.get_metadata_dict()
    finally:
        pdf.close()
    return Extracted(
        format="pdf", text="\n\n".join(pages), pages=pages, title=info.get("Title") or None,
        author=info.get("Author") or None, date=info.get("CreationDate") or None, page_count=len(pages),
    )


def _rows(manifest: list[dict[str, str]], fmt: str, description: str = "") -> list[dict[str, str]]:
    return [r for r in manifest if r["format"] == fmt and r["description"].startswith(description)]


def test_english_pdf_is_english(corpora: Path) -> None:
    path = corpora / "french-docs" / "betagouv" / "pdf" / "StateStartups-Foucaud.pdf"
    meta = infer_metadata(read_pdf(path), path)
    assert meta.language == "en"
    assert meta.page_count == 20


def test_annual_reports_are_reports(corpora: Path, manifest: list[dict[str, str]]) -> None:
    rows = _rows(manifest, "pdf", "rapport")
    assert len(rows) >= 4
    for row in rows:
        path = corpora / "french-docs" / row["file"]
        meta = infer_metadata(read_pdf(path), path)
        assert meta.type == "étude/rapport", row["file"]
        assert meta.language == "fr", row["file"]
        assert meta.date and ISO.match(meta.date), row["file"]


def test_meeting_minutes_are_comptes_rendus(corpora: Path, manifest: list[dict[str, str]]) -> None:
    rows = _rows(manifest, "pdf", "compte rendu de réunion")
    assert len(rows) >= 5
    for row in rows:
        path = corpora / "french-docs" / row["file"]
        meta = infer_metadata(read_pdf(path), path)
        assert meta.type == "compte rendu", row["file"]
        assert "Compte-Rendu" in meta.title, row["file"]


def test_manifesto_is_a_charter(corpora: Path) -> None:
    path = corpora / "french-docs" / "betagouv" / "pages" / "_pages__manifeste.md"
    meta = infer_metadata(read_markdown(path), path)
    assert (meta.title, meta.type, meta.language) == ("Manifeste beta.gouv.fr", "charte", "fr")
    assert meta.summary.startswith("beta.gouv.fr introduit une nouvelle manière")
    assert "**" not in meta.summary and "](" not in meta.summary


def test_front_matter_titles(corpora: Path, manifest: list[dict[str, str]]) -> None:
    rows = [r for r in manifest if r["file"].startswith("betagouv/startups/")]
    assert len(rows) >= 100
    same = 0
    for row in rows:
        path = corpora / "french-docs" / row["file"]
        same += infer_metadata(read_markdown(path), path).title == row["description"].strip()
    # The manifest's description is the front matter title, bar quoting differences.
    assert same >= 0.95 * len(rows)


def test_every_markdown_file_gives_valid_metadata(corpora: Path, manifest: list[dict[str, str]]) -> None:
    rows = _rows(manifest, "md")
    assert len(rows) >= 600
    for row in rows:
        path = corpora / "french-docs" / row["file"]
        meta = infer_metadata(read_markdown(path), path)
        assert meta.title.strip(), row["file"]
        assert meta.type in DOC_TYPES, row["file"]
        assert meta.date is None or ISO.match(meta.date), row["file"]
        assert len(meta.summary) <= 300, row["file"]
        assert len(meta.themes) <= 4, row["file"]
        assert meta.language in (None, "fr"), row["file"]


def test_crpv_news_articles(corpora: Path) -> None:
    with_crpv = 0
    for path in sorted((corpora / "seeds").glob("*.txt")):
        meta = infer_metadata(Extracted(format="txt", text=path.read_text(encoding="utf-8")), path)
        assert meta.language == "fr"
        assert meta.organisations, path.name
        # "centres de ressources de la politique de la ville" is a variant the list lacks.
        with_crpv += "CRPV" in meta.organisations
        assert "ingénierie et évaluation" in meta.themes
        assert meta.summary and len(meta.summary) <= 300
    assert with_crpv >= 4


def test_one_megabyte_of_text_is_fast(corpora: Path) -> None:
    seed = (corpora / "seeds" / "crpv-article-1.txt").read_text(encoding="utf-8")
    text = seed * (1_000_000 // len(seed) + 1)
    infer_metadata(Extracted(format="txt", text=seed), Path("warm.txt"))  # compile patterns
    start = time.perf_counter()
    meta = infer_metadata(Extracted(format="txt", text=text), Path("big.txt"))
    assert time.perf_counter() - start < 2.0
    assert meta.word_count > 100_000

"""Copies, near-duplicates and versions (kb.fingerprint, kb.grouping) on real shared files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.extract.registry import extract
from kb.fingerprint import bands, fingerprint, resemblance
from kb.grouping import Member, label, related, representative
from tests.conftest import require_shared

DOCS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "french-docs"
G = "cnig-geostandards-risques/suivi__"
CR_DOCX = G + "2022-12-01-Pleniere-GT__SPP-22-0630_CR_Reunion-pleiere-GT-risques-01-12-2022.docx"
CR_PDF = G + "2022-12-01-Pleniere-GT__SPP-22-0630_CR_Reunion-pleiere-GT-risques-01-12-2022.pdf"
CR_OTHER = G + "2023-03-23-Pleniere-GT__23-0699_CR_Reunion-pleiere-GT-risques-23-03-2023.docx"
V2024 = "cnig-sru/240209_Standard_CNIG_SRU_niveau1_v2024-02.odt"
V2026 = "cnig-sru/260303_Standard_CNIG_SRU_niveau1_v2023_rev2026-03.pdf"


def member(rel: str, root: Path | None = None) -> Member:
    path = (root or require_shared(DOCS)) / rel
    doc = extract(path)
    return Member(rel, fingerprint(doc.text), doc.title, doc.format, None, rel, path.stat().st_size)


def test_docx_and_its_pdf_are_near() -> None:
    docx, pdf = member(CR_DOCX), member(CR_PDF)
    assert related(docx, pdf) == "near"
    assert label(docx, representative([docx, pdf])) == "aussi en Word"


def test_two_editions_are_versions() -> None:
    old, new = member(V2024), member(V2026)
    assert related(old, new) == "version"
    assert representative([old, new]) == new
    assert label(old, new) == "autre version (2024)"


def test_minutes_of_two_meetings_are_different() -> None:
    assert related(member(CR_DOCX), member(CR_OTHER)) is None


def test_an_exact_copy_elsewhere_is_a_copy(tmp_path: Path) -> None:
    src = require_shared(DOCS) / CR_DOCX
    (tmp_path / "ailleurs").mkdir()
    shutil.copy(src, tmp_path / "ailleurs" / "copie.docx")
    a, b = member(CR_DOCX), member("ailleurs/copie.docx", tmp_path)
    assert related(a, b) == "copy"
    assert label(b, a) == "copie : copie.docx"  # the file's name: pages never show server paths


def test_fingerprint_stable_under_line_breaks_and_hyphenation() -> None:
    text = extract(require_shared(DOCS) / CR_DOCX).text
    words = text.split()
    rewrapped = "\n".join(" ".join(words[i:i + 7]) for i in range(0, len(words), 7))
    hyphenated = rewrapped.replace("réunion ", "réu-\nnion ", 5)
    assert fingerprint(rewrapped) == fingerprint(text)
    assert resemblance(fingerprint(hyphenated), fingerprint(text)) >= 0.97
    assert len(fingerprint(text)) <= 1024 and fingerprint(text).isascii()


def test_bands_of_related_pairs_overlap_and_of_unrelated_do_not() -> None:
    docx, pdf, other = member(CR_DOCX), member(CR_PDF), member(CR_OTHER)
    assert set(bands(docx.fingerprint)) & set(bands(pdf.fingerprint))
    assert not set(bands(docx.fingerprint)) & set(bands(other.fingerprint))


def test_huge_text_is_bounded(time_limit) -> None:  # type: ignore[no-untyped-def]
    text = extract(require_shared(DOCS) / V2026).text
    huge = (text * (20_000_000 // len(text) + 1))[:20_000_000]
    with time_limit(5):
        assert fingerprint(huge)


@pytest.mark.slow
def test_judged_pairs_precision_and_recall() -> None:
    require_shared(DOCS)
    from bench.duplicates import run
    result = run(quick=True)
    # Measured 1.000 / 1.000 on the 122 judged pairs (bench/duplicates/README.md), minus 0.02.
    assert result["overall"]["precision"] >= 0.98
    assert result["overall"]["recall"] >= 0.98


def test_items_of_a_series_with_one_template_are_not_copies() -> None:
    """Sheets written on one template that differ only by their number (small numbers are
    folded out of the fingerprint) are different documents; a true copy of one is a copy."""
    text = ("Le conseil citoyen du quartier prioritaire a organisé une marche exploratoire avec les "
            "habitantes, le bailleur social et la délégation du préfet. ") * 4

    def sheet(doc_id: str, n: int, path: str) -> Member:
        title = f"Marche exploratoire {n}"
        return Member(doc_id, fingerprint(f"# {title}\n\n{text}"), title, "markdown", None, path, 600)

    first, second = sheet("a", 1, "/docs/marche-1.md"), sheet("b", 2, "/docs/marche-2.md")
    assert related(first, second) is None
    assert related(sheet("c", 0, "/docs/marche-0.md"), first) is None
    assert related(first, sheet("d", 1, "/partage/copie.md")) == "copy"


def test_a_key_shared_by_many_documents_gives_its_first_ones_only(tmp_path: Path) -> None:
    """Seventy different texts in files all named « compte-rendu-N »: each new one is compared
    with the first MAX_KEY_DOCS holders of each of its keys, in filing order, as before the
    per-key query replaced the window over every holder."""
    import sqlite3

    from kb.catalog import Catalog
    from kb.kinship import MAX_KEY_DOCS, Kinship, _keys

    texts = [p.read_text(encoding="utf-8") for p in sorted(require_shared(DOCS).rglob("*.md"))[:70]]
    members = [Member(f"d{n:03d}", fingerprint(text), None, "markdown", None, f"cr/compte-rendu-{n}.md", len(text))
               for n, text in enumerate(texts[:70])]
    kinship = Kinship(Catalog(tmp_path / "catalog.sqlite"))
    kinship.update(members[:60])
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    last = members[65]
    expected: set[str] = set()
    for key in dict.fromkeys(_keys(last)):  # the first holders of each key, in filing order
        expected.update([m.id for m in members[:60] if key in _keys(m)][:MAX_KEY_DOCS])
    name = next(k for k in _keys(last) if k.startswith("n"))  # the file name's words, numbers aside
    shared = db.execute("SELECT count(*) FROM kin_keys WHERE key = ?", (name,)).fetchone()[0]
    assert shared == 60 > MAX_KEY_DOCS
    assert {m.id for m in Kinship._candidates(db, last, _keys(last), {})} == expected - {last.id}
    assert len(expected) >= MAX_KEY_DOCS


def test_leaders_after_filing_grouping_and_parting(tmp_path: Path) -> None:
    """A Word file and its PDF export group, the newest leading; a document alone leads
    itself; when the PDF is re-filed with another content, both are alone again, each its own
    leader, and so are the rows of a batch where nobody groups."""
    import sqlite3

    from kb.catalog import Catalog
    from kb.kinship import Kinship

    docx, pdf, other = member(CR_DOCX), member(CR_PDF), member(CR_OTHER)
    kinship = Kinship(Catalog(tmp_path / "catalog.sqlite"))
    db = sqlite3.connect(tmp_path / "catalog.sqlite")

    def rows() -> dict[str, tuple[str, int]]:
        return {i: (lead, grouped) for i, lead, grouped in db.execute("SELECT id, leader, grouped FROM kin")}

    kinship.update([docx, pdf, other])
    leader = representative([docx, pdf]).id
    assert rows() == {docx.id: (leader, 1), pdf.id: (leader, 1), other.id: (other.id, 0)}
    parted = Member(pdf.id, member(V2024).fingerprint, pdf.title, pdf.format, None, pdf.path, pdf.size)
    kinship.update([parted])
    assert rows() == {docx.id: (docx.id, 0), pdf.id: (pdf.id, 0), other.id: (other.id, 0)}
    kinship.update([pdf])  # grouped again
    assert rows()[docx.id] == (leader, 1) and rows()[pdf.id] == (leader, 1)


def test_a_rebuild_in_chunks_files_the_same_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kb rebuild`` files the groups REBUILD_MEMBERS at a time: the same pairs, rows and
    leaders as all at once, with copies spread over the chunks and a key (the file names'
    words) held by more documents than MAX_KEY_DOCS."""
    import sqlite3

    import kb.kinship as kinship_module
    from kb.catalog import Catalog
    from kb.kinship import MAX_KEY_DOCS, Kinship

    texts = [p.read_text(encoding="utf-8") for p in sorted(require_shared(DOCS).rglob("*.md"))[:60]]
    members = [Member(f"d{n:03d}", fingerprint(text), None, "markdown", None, f"cr/compte-rendu-{n}.md", len(text))
               for n, text in enumerate(texts)]
    # Every fifth text again, later, under another name: copies filed in other chunks.
    members += [Member(f"e{n:03d}", fingerprint(text), None, "markdown", None, f"copies/note-{n}.md", len(text))
                for n, text in enumerate(texts) if n % 5 == 0]
    assert len(members) > MAX_KEY_DOCS

    def rebuilt(folder: Path, size: int) -> tuple[object, ...]:
        monkeypatch.setattr(kinship_module, "REBUILD_MEMBERS", size)
        folder.mkdir()
        kinship = Kinship(Catalog(folder / "catalog.sqlite"))
        kinship.rebuild(members)
        db = sqlite3.connect(folder / "catalog.sqlite")
        try:
            pairs = sorted(db.execute("SELECT * FROM kin_pairs").fetchall())
            rows = sorted(db.execute("SELECT * FROM kin").fetchall())
        finally:
            db.close()
        groups = kinship.snapshot()
        return pairs, rows, dict(groups.leaders), dict(groups.copies)

    whole = rebuilt(tmp_path / "whole", 10**6)
    assert rebuilt(tmp_path / "chunks", 7) == whole
    pairs, _, leaders, _ = whole
    assert len(pairs) >= 12 and len(leaders) >= 24  # the 12 copies, each paired and led

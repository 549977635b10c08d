"""The catalog keeps every document's record whole and exact, and reads a long one by parts:
its metadata or one part of its text without the rest (what a web page of a 20-million-
character report needs)."""

from __future__ import annotations

import json
import sqlite3
import tracemalloc
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.ingest import Options, index_paths
from kb.catalog import INDEXED, Catalog, Change, pack, unpack
from kb.knowledgebase import KnowledgeBase
from kb.model import Document, FileIdentity
from kb.parts import PART_CHARS, Part, part_of, split

SENTENCE = "Les habitantes du quartier prioritaire ont remis leurs propositions au comité de pilotage. "


def document(text: str, pages: tuple[str, ...] = (), doc_id: str = "0123456789ab") -> Document:
    file = FileIdentity(f"/docs/{doc_id}.txt", len(text), 1.0, "f" * 64, "pdf" if pages else "text")
    return Document(id=doc_id, file=file, title="Rapport d'évaluation", text=text, pages=pages,
                    themes=("participation citoyenne",), licence="CC BY-NC-ND", word_count=len(text.split()))


def long_text(chars: int) -> str:
    paragraphs = [f"Paragraphe {n}. " + SENTENCE * 3 for n in range(chars // 250 + 1)]
    return "\n\n".join(paragraphs)[:chars]


PAGED = tuple([SENTENCE * 40, "", SENTENCE * 3000, "Page courte.", "", SENTENCE * 900] * 12)
SHAPES = {
    "short": document("Une fiche courte."),
    "empty": document(""),
    "long text": document(long_text(5 * PART_CHARS + 123)),
    # The text of a PDF is its non-empty pages joined by blank lines, but not always: kept apart.
    "long paged": document("\n\n".join(p for p in PAGED if p)[:1_500_000] + " fin", PAGED),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_record_reads_back_exactly(shape: str) -> None:
    assert unpack(pack(SHAPES[shape])) == SHAPES[shape]


def test_a_record_stays_flat_as_bases_built_before_store_it() -> None:
    # The file's fields sit beside the metadata, in their old order: records already stored,
    # and API answers, keep their shape.
    doc = document("Un texte.")
    data = doc.to_dict()
    assert list(data)[:7] == ["id", "path", "sha256", "size", "mtime", "format", "title"] and "file" not in data
    assert unpack(zlib.compress(json.dumps(data).encode("utf-8"))) == doc


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(st.sampled_from("ab \néà\f"), max_size=60_000), max_size=8),
       st.integers(min_value=0, max_value=250_000))
def test_any_text_and_pages_read_back_exactly(pages: list[str], extra: int) -> None:
    text = "\n\n".join(pages) + "x" * extra
    doc = document(text, tuple(pages))
    assert unpack(pack(doc)) == doc


@pytest.fixture()
def catalog(tmp_path: Path) -> Catalog:
    catalog = Catalog(tmp_path / "catalog.sqlite")
    changes = [Change(id=f"{n:012x}", file=FileIdentity(f"/docs/{n}", 1, 1.0, "f" * 64, d.format),
                      status=INDEXED, document=Document(**{**d.__dict__, "id": f"{n:012x}"}))
               for n, d in enumerate(SHAPES.values())]
    catalog.stage(changes)
    yield catalog
    catalog.close()


@pytest.mark.parametrize("n, shape", list(enumerate(SHAPES)))
def test_each_part_read_alone_is_that_part_of_the_whole(catalog: Catalog, n: int, shape: str) -> None:
    doc = SHAPES[shape]
    count = len(split(doc.pages, doc.text))
    if count == 1:  # a short record is read whole: its one part is its whole text
        assert catalog.part(f"{n:012x}", 1) == Part(1, 1, False, ((None, False, doc.text),))
    for number in range(1, count + 1):
        assert catalog.part(f"{n:012x}", number) == part_of(doc.pages, doc.text, number)
    assert catalog.part(f"{n:012x}", count + 1) is None
    assert catalog.part(f"{n:012x}", 0) is None
    head = catalog.document(f"{n:012x}", text=False)
    assert head is not None and head.text == "" and head.pages == ()
    assert head.title == doc.title and head.licence == doc.licence and head.word_count == doc.word_count
    assert catalog.document(f"{n:012x}") == Document(**{**doc.__dict__, "id": f"{n:012x}"})


def peak_bytes(read) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        assert read() is not None
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_part_of_a_long_document_costs_a_part_not_the_document(tmp_path: Path) -> None:
    doc = document(long_text(8_000_000))
    catalog = Catalog(tmp_path / "catalog.sqlite")
    try:
        catalog.stage([Change(id=doc.id, file=FileIdentity(doc.path, 1, 1.0, doc.file.sha256, "text"),
                              status=INDEXED, document=doc)])
        del doc
        # A part is PART_CHARS characters; the whole text is 8 million.
        assert peak_bytes(lambda: catalog.part("0123456789ab", 40)) < 20 * PART_CHARS
        assert peak_bytes(lambda: catalog.document("0123456789ab", text=False)) < 20 * PART_CHARS
        assert peak_bytes(lambda: catalog.document("0123456789ab")) > 8_000_000
    finally:
        catalog.close()


@pytest.mark.parametrize("n, shape", list(enumerate(SHAPES)))
def test_the_whole_text_read_chunk_by_chunk_is_the_text(catalog: Catalog, n: int, shape: str) -> None:
    doc = SHAPES[shape]
    assert "".join(catalog.text_chunks(f"{n:012x}")) == doc.text
    pages: dict[int, str] = {}
    for page, text in catalog.pieces(f"{n:012x}"):
        if page is not None:
            pages[page] = pages.get(page, "") + text
    assert tuple(pages[k] for k in sorted(pages)) == doc.pages
    assert list(catalog.text_chunks("ffffffffffff")) == [] and list(catalog.pieces("ffffffffffff")) == []


def test_a_rebuild_rewrites_in_parts_a_long_record_written_whole(tmp_path: Path) -> None:
    """Bases indexed by older versions kept every record whole: `kb rebuild` converts them."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "rapport.txt").write_text("Rapport\n\n" + long_text(3 * PART_CHARS), encoding="utf-8")
    (docs / "fiche.txt").write_text("Une fiche courte sur le conseil citoyen.", encoding="utf-8")
    with KnowledgeBase(tmp_path / "home") as kb:
        index_paths(kb, [docs], Options(workers=1))
        ids = {Path(e.path).name: e.id for e in kb.known_files()}
        before = {name: kb.document(doc_id) for name, doc_id in ids.items()}
    with sqlite3.connect(tmp_path / "home" / "catalog.sqlite") as db:  # as an older version wrote it
        db.execute("UPDATE documents SET record = ? WHERE id = ?",
                   (zlib.compress(json.dumps(before["rapport.txt"].to_dict()).encode()), ids["rapport.txt"]))
    with KnowledgeBase(tmp_path / "home") as kb:
        assert kb.document(ids["rapport.txt"]) == before["rapport.txt"]  # read whole meanwhile
        kb.rebuild()
        assert {name: kb.document(doc_id) for name, doc_id in ids.items()} == before
    with sqlite3.connect(tmp_path / "home" / "catalog.sqlite") as db:
        starts = dict(db.execute("SELECT id, substr(record, 1, 4) FROM documents"))
    assert starts[ids["rapport.txt"]] == b"KBP1" and starts[ids["fiche.txt"]] != b"KBP1"

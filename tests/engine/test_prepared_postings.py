"""Postings encoded by the extraction workers (``prepare.encode``) and filed as they are by the
writer (``internals.writer.KbSegmentWriter``, ``GroupedPool``, merged segments streamed): the
same bytes Whoosh's own formats make, and the same index as Whoosh's writer builds from the
terms, merges, deletions and spills included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from whoosh.codec import whoosh3
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Positions
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

from kb.knowledgebase import KnowledgeBase
from kb.model import Document
from kb.whoosh_backend import merging
from kb.whoosh_backend.internals import writer as writer_module
from kb.whoosh_backend.internals.pool import GroupedPool
from kb.whoosh_backend.internals.segment_lists import segment_postings
from kb.whoosh_backend.internals.writer import Encoded, KbSegmentWriter, cache_lengths
from kb.whoosh_backend.prepare import TEXT_FIELDS, analyze, encode, fields_of
from kb.whoosh_backend.schema import build_schema


@pytest.fixture(scope="module")
def documents(demo_base: KnowledgeBase) -> list[Document]:
    """The demo corpus's documents, as the catalog holds them."""
    docs = [demo_base.document(e.id) for e in demo_base.indexed_entries()]
    assert len(docs) > 30
    return docs


def test_encoded_postings_are_those_of_whooshs_formats(documents: list[Document]) -> None:
    schema = build_schema()
    compared = 0
    for doc in documents:
        terms = analyze(doc).terms
        for name, postings in encode(terms).items():
            field = schema[name]
            assert isinstance(field.format, Positions)
            theirs = sorted(field.index(terms[name]))
            ours = sorted((t, freq, float(freq) * field.format.field_boost, v) for t, freq, v in postings)
            assert ours == theirs, (doc.path, name)
            compared += len(ours)
    assert compared > 10_000


def _content(folder: Path) -> list[Any]:
    """Every posting (field, term, document id, weight, value), the stored fields and the
    field lengths, by document id (document numbers may differ)."""
    ix = FileStorage(str(folder), supports_mmap=False).open_index("kb")
    found: list[Any] = []
    with ix.searcher() as s:
        r = s.reader()
        ids = {docnum: stored["id"] for docnum, stored in r.iter_docs()}
        for field, text in r.all_terms():
            m = r.postings(field, text)
            while m.is_active():
                found.append((field, text, ids[m.id()], m.weight(), m.value()))
                m.next()
        for docnum, stored in r.iter_docs():
            found.append(("stored", ids[docnum], sorted(stored.items())))
            found.extend(("length", ids[docnum], name, r.doc_field_length(docnum, name))
                         for name in ("body", "title"))
        found.append(("segments", len(ix._segments())))
    return sorted(found, key=repr)


def _fields(doc: Document, encoded: bool) -> dict[str, Any]:
    terms = analyze(doc).terms
    # The facets (keyword fields: values of a fixed size, no field length) and identifiers
    # (no value) as the product gives them, analysed by Whoosh for both writers.
    text = {name for name, _, _ in TEXT_FIELDS}
    values: dict[str, Any] = {name: value for name, value in fields_of(doc).items() if name not in text}
    values.update({"_stored_title": doc.title, "_stored_body": doc.text[:300],
                   "_stored_summary": doc.summary, "_stored_author": doc.author or ""})
    for name, words in (encode(terms) if encoded else terms).items():
        values[name] = Encoded(words) if encoded else words
    return values


def _build(folder: Path, documents: list[Document], writer: type, limitmb: int = 64,
           blocklimit: int = 128, compression: int = 0, cached_lengths: bool = True) -> list[bytes]:
    """The documents in batches of 7, committed with the tiered merge policy (SMALLEST lowered
    so that batches this small merge), then one deleted and the base optimised; returns the
    bytes of the term and posting files of every segment after each commit. Our writer gets
    the cached field lengths the product gives it (``cache_lengths``) unless ``cached_lengths``
    is False: then it reads Whoosh's own lengths reader."""
    folder.mkdir()
    ix = FileStorage(str(folder), supports_mmap=False).create_index(build_schema(), indexname="kb")
    written: list[bytes] = []

    def commit(w: Any, **options: Any) -> None:
        w.commit(**options)
        for segment in ix._segments():
            files = segment.open_compound_file(ix.storage) if segment.is_compound() else ix.storage
            written.extend(files.open_file(segment.make_filename(ext)).read()
                           for ext in (whoosh3.W3Codec.TERMS_EXT, whoosh3.W3Codec.POSTS_EXT))

    def opened() -> Any:
        w = writer(ix, limitmb=limitmb, codec=whoosh3.W3Codec(blocklimit=blocklimit, compression=compression))
        if writer is KbSegmentWriter and cached_lengths:
            cache_lengths(w)
        return w

    for start in range(0, len(documents), 7):
        w = opened()
        for doc in documents[start:start + 7]:
            w.update_document(**_fields(doc, encoded=writer is KbSegmentWriter))
        commit(w, mergetype=merging.tiered)
    w = opened()
    w.delete_by_term("id", documents[0].id)
    commit(w, optimize=True)
    return written


@pytest.mark.parametrize("compression", [0, 3])
def test_the_index_is_whooshs_own_with_merges(documents: list[Document], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch, compression: int) -> None:
    monkeypatch.setattr(merging, "SMALLEST", 5)
    # Past this many values of a field (each id, path, date), the writer analyses without
    # remembering; the few others (types, formats, empty facets) it remembers.
    monkeypatch.setattr(writer_module, "INDEXED_VALUES", 4)
    merged: list[int] = []
    add_reader = KbSegmentWriter.add_reader

    def counted(self: KbSegmentWriter, reader: Any) -> None:
        merged.append(reader.doc_count_all())
        add_reader(self, reader)

    monkeypatch.setattr(KbSegmentWriter, "add_reader", counted)
    flushes: list[int] = []  # segments merged in at each flush that wrote whole lists
    write_terms = writer_module.write_terms

    def watched(fieldwriter: Any, schema: Any, lengths: Any, doc_count: int, terms: Any) -> None:
        flushes.append(len(merged))
        write_terms(fieldwriter, schema, lengths, doc_count, terms)

    monkeypatch.setattr(writer_module, "write_terms", watched)
    # Blocks of 4 postings: many terms span several blocks, as at 100,000 documents.
    theirs_bytes = _build(tmp_path / "whoosh", documents, SegmentWriter, blocklimit=4, compression=compression)
    ours_bytes = _build(tmp_path / "ours", documents, KbSegmentWriter, blocklimit=4, compression=compression)
    assert len(merged) > 5  # the tiered merges and the final optimisation went through ours
    # Every commit of ours wrote its lists a term at a time, merges included.
    assert len(flushes) == -(-len(documents) // 7) + 1 and flushes[-1] == len(merged)
    theirs = _content(tmp_path / "whoosh")
    assert _content(tmp_path / "ours") == theirs
    assert len(theirs) > 10_000
    assert ours_bytes == theirs_bytes  # term infos and blocks byte for byte, after every commit


def test_a_full_pool_goes_on_in_whooshs_pool(documents: list[Document], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spilled: list[bool] = []
    grew = GroupedPool._grew

    def watch(self: GroupedPool, size: int) -> None:
        grew(self, size)
        spilled.append(self._spilled)

    monkeypatch.setattr(GroupedPool, "_grew", watch)
    _build(tmp_path / "whoosh", documents[:20], SegmentWriter)
    # Spills at once; and Whoosh's own field lengths reader, the one other kind write_terms reads.
    _build(tmp_path / "ours", documents[:20], KbSegmentWriter, limitmb=0, cached_lengths=False)
    assert spilled and all(spilled)
    assert _content(tmp_path / "ours") == _content(tmp_path / "whoosh")


def test_encoded_values_are_refused_where_they_cannot_go(tmp_path: Path) -> None:
    ix = FileStorage(str(tmp_path), supports_mmap=False).create_index(build_schema(), indexname="kb")
    w = KbSegmentWriter(ix)
    try:
        with pytest.raises(ValueError, match="type"):
            w.add_document(id="x", type=Encoded([(b"etude", 1, b"\x00\x00\x00\x01")]))
        with pytest.raises(ValueError, match="stored"):  # a stored field's text cannot be told from its postings
            w.add_document(id="x", title=Encoded([(b"etude", 1, b"\x00\x00\x00\x01\x80\x02]q\x00K\x00a.")]))
    finally:
        w.cancel()


def test_a_segment_is_read_for_merging_as_whoosh_reads_it(documents: list[Document], tmp_path: Path) -> None:
    folder = tmp_path / "base"
    folder.mkdir()
    ix = FileStorage(str(folder), supports_mmap=False).create_index(build_schema(), indexname="kb")
    for compression in (0, 3):  # zlib blocks, as older bases hold, and plain ones
        w = SegmentWriter(ix, codec=whoosh3.W3Codec(blocklimit=4, compression=compression))
        for doc in documents[:25]:
            w.add_document(**_fields(doc, encoded=False))
        w.commit(merge=False)
    w = SegmentWriter(ix)
    for doc in documents[3:25:4]:
        w.delete_by_term("id", doc.id)
    w.commit(merge=False)
    segments = ix._segments()
    assert len(segments) == 2 and all(s.has_deletions() for s in segments)
    for segment in segments:
        reader = SegmentReader(ix.storage, ix.schema, segment)
        try:
            ours = list(segment_postings(reader))
            assert ours == list(reader.iter_postings())
            assert len(ours) > 5000
        finally:
            reader.close()

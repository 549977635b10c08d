"""The private parts of Whoosh the backend relies on (``kb/whoosh_backend/internals``) are still
there and still mean what we read into them: a Whoosh upgrade that changes one fails here, naming
the attribute, before a search quietly falls back to the slow path or scores differently."""

from __future__ import annotations

import inspect
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import fields, scoring
from whoosh import query as wq
from whoosh.codec import whoosh3
from whoosh.filedb import filetables
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, LockError
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.spans import SpanNear2
from whoosh.writing import SegmentWriter

from kb.whoosh_backend.internals import arrays, bm25, lengths, phrase, postings, storage, toc, writer
from kb.whoosh_backend.prepare import TEXT_FIELDS
from kb.whoosh_backend.schema import FrenchTokenizer, build_schema

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["les habitants du quartier et le conseil citoyen", "le conseil citoyen réunit les habitants",
         "un jardin partagé au pied des immeubles", "habitants habitants conseil", "rien de commun ici"] * 3


def requires(owner: Any, *names: str, used_by: str) -> None:
    """Fail with the Whoosh attribute's name when ``owner`` lost one of ``names``."""
    for name in names:
        assert hasattr(owner, name), (f"whoosh: {getattr(owner, '__name__', type(owner).__name__)}.{name} is gone; "
                                      f"kb/whoosh_backend/internals/{used_by} relies on it")


def build(folder: Path, patch_writer: bool = False, delete: bool = True, store: type = FileStorage) -> Any:
    """An index of TEXTS in three segments, the first document deleted."""
    schema = fields.Schema(id=fields.ID(stored=True, unique=True), body=fields.TEXT(stored=True))
    folder.mkdir(parents=True, exist_ok=True)
    ix = store(str(folder), supports_mmap=False).create_index(schema, indexname="t")
    for start in range(0, len(TEXTS), 5):
        w = ix.writer(codec=whoosh3.W3Codec(compression=0))
        if patch_writer:
            writer.cache_lengths(w)
        for n, text in enumerate(TEXTS[start:start + 5], start):
            w.add_document(id=str(n), body=text)
        w.commit()
    if delete:
        w = ix.writer()
        w.delete_by_term("id", "0")
        w.commit()
    return ix


@pytest.fixture()
def ix(tmp_path: Path) -> Iterator[Any]:
    index = build(tmp_path)
    yield index
    index.close()


def test_segment_writer_parts_used_by_the_writer_patches(tmp_path: Path) -> None:
    requires(SegmentWriter, "per_document_reader", "_finish", "_flush_segment", "_process_posts", "write_per_doc",
             "_close_segment", used_by="writer.py")
    requires(whoosh3, "_lenfield", used_by="writer.py")
    requires(filetables.HashWriter, "_write_hashes", used_by="blocks.py")
    assert "self._write_hashes()" in inspect.getsource(filetables.HashWriter.close), \
        "whoosh: HashWriter.close no longer calls _write_hashes(); internals/blocks.py replaces it per table"
    requires(whoosh3.W3PerDocReader, "has_column", "doc_field_length", used_by="writer.py")
    flush = inspect.getsource(SegmentWriter._flush_segment)
    assert "self.per_document_reader()" in flush, \
        "whoosh: SegmentWriter._flush_segment no longer calls per_document_reader(); internals/writer.py patches it"
    calls: list[str] = []
    original = writer._Lengths.doc_field_length

    def spy(self: Any, docnum: int, fieldname: str, default: int = 0) -> Any:
        calls.append(fieldname)
        return original(self, docnum, fieldname, default)

    writer._Lengths.doc_field_length = spy  # type: ignore[method-assign]
    try:
        patched = build(tmp_path / "patched", patch_writer=True, delete=False)
    finally:
        writer._Lengths.doc_field_length = original  # type: ignore[method-assign]
    plain = build(tmp_path / "plain", delete=False)
    assert calls, "whoosh: the segment flush no longer reads lengths through per_document_reader()"
    with patched.reader() as a, plain.reader() as b:
        assert [a.doc_field_length(d, "body") for d in range(len(TEXTS))] == \
               [b.doc_field_length(d, "body") for d in range(len(TEXTS))]


def test_word_lists_go_where_their_segment_goes(tmp_path: Path) -> None:
    """A file named after a segment is assembled into its compound file, read through the
    segment reader's storage, and deleted with the segment once merged away."""
    from whoosh.codec.base import Segment
    from whoosh.reading import SegmentReader

    from kb.whoosh_backend.internals.wordlists import EXT

    requires(SegmentWriter, "_flush_segment", used_by="wordlists.py")
    requires(Segment, "create_file", "make_filename", "list_files", used_by="wordlists.py")
    requires(SegmentReader, "storage", "segment", used_by="wordlists.py")
    ix = FileStorage(str(tmp_path), supports_mmap=False).create_index(build_schema(), indexname="kb")
    names = []
    for text in ("un jardin partagé", "le conseil citoyen"):
        w = writer.open_writer(ix)
        w.add_document(id=text, body=text)
        w.add_words(["jardin" if "jardin" in text else "conseil"], [])
        assert w.newsegment is not None  # the segment ``_flush_segment`` writes the list for
        w.commit(merge=False)
    with ix.searcher() as s:
        for segment_searcher, _ in s.leaf_searchers():
            reader = segment_searcher.reader()
            assert reader.segment().is_compound()
            assert reader.storage().file_exists(reader.segment().make_filename(EXT))
            names.append(reader.segment().make_filename(".seg"))
    assert len(names) == 2
    w = writer.open_writer(ix)
    w.commit(optimize=True)
    left = set(ix.storage.list())
    assert not any(name in left for name in names)  # the merged-away segments' files are gone


def test_release_frees_the_lock_of_a_failed_commit(ix: Any) -> None:
    w = ix.writer()
    requires(w, "writelock", "is_closed", used_by="writer.py")
    w.add_document(id="x", body="texte")
    writer.release(w)
    assert w.is_closed, "whoosh: SegmentWriter._finish no longer closes the writer (internals/writer.py)"
    ix.writer().cancel()  # the lock is free again: no LockError


def test_a_writer_cut_short_while_opening_leaves_the_lock_free(ix: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt
    monkeypatch.setattr(ix, "_read_toc", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writer.open_writer(ix)
    monkeypatch.undo()
    w = writer.open_writer(ix)  # no LockError: the interrupted one let the lock go
    with pytest.raises(LockError):
        writer.open_writer(ix)  # and the lock is really taken by an open writer
    w.add_document(id="y", body="texte")
    w.commit()
    with ix.searcher() as s:
        assert s.document(id="y") is not None
    ix.writer().cancel()  # the commit released it


def test_span_matcher_built_by_hand_scores_like_whooshs_phrase(ix: Any) -> None:
    requires(SpanNear2, "SpanNear2Matcher", used_by="phrase.py")
    requires(SpanNear2.SpanNear2Matcher, "_get_spans", used_by="phrase.py")
    source = inspect.getsource(SpanNear2.SpanNear2Matcher._get_spans)
    for name in ("self.ms", "self.slop", "self.ordered", "self.mindist"):
        assert name in source, f"whoosh: SpanNear2Matcher._get_spans no longer reads {name} (internals/phrase.py)"
    for words, slop in ((["conseil", "citoyen"], 1), (["habitants", "conseil"], 3)):
        q = wq.Phrase("body", words, slop=slop, boost=1.5)
        with ix.searcher() as s:
            theirs = {hit.docnum: hit.score for hit in s.search(q, limit=None)}
            ours: dict[int, float] = {}
            context = s.context()
            for segment_searcher, offset in s.leaf_searchers():
                local = list(range(segment_searcher.doc_count_all()))
                for d, score in phrase.phrase_scores(segment_searcher, context, q, local):
                    if not segment_searcher.reader().is_deleted(d):
                        ours[offset + d] = score
        assert theirs and ours == pytest.approx(theirs)


def test_length_column_is_read_whole(ix: Any) -> None:
    requires(whoosh3, "LENGTHS_COLUMN", "_lenfield", used_by="lengths.py")
    with ix.searcher() as s:
        for segment_searcher, _ in s.leaf_searchers():
            reader = segment_searcher.reader()
            requires(reader, "_perdoc", used_by="lengths.py")
            requires(reader._perdoc, "_cached_reader", used_by="lengths.py")
            column = reader._perdoc._cached_reader(whoosh3._lenfield("body"), whoosh3.LENGTHS_COLUMN)
            requires(column, "_fixedlen", "_dbfile", "_basepos", "_count", used_by="lengths.py")
            read = lengths._read_lengths(reader, "body")
            assert read is not None, "whoosh: the W3 length column can no longer be read whole (internals/lengths.py)"
            expected = [float(reader.doc_field_length(d, "body", 1) or 1) for d in range(reader.doc_count_all())]
            assert read[: len(expected)] == expected


def test_cached_bm25f_scores_like_whooshs(ix: Any) -> None:
    requires(scoring.BM25F(), "_field_B", "B", "K1", used_by="bm25.py")
    requires(scoring.BM25FScorer, "_score", used_by="bm25.py")
    q = wq.Or([wq.Term("body", "habitants"), wq.Term("body", "conseil")])
    with ix.searcher(weighting=scoring.BM25F()) as plain, \
            ix.searcher(weighting=bm25.CachedBM25F(lengths.FieldLengths())) as cached:
        theirs = {hit.docnum: hit.score for hit in plain.search(q, limit=None)}
        ours = {hit.docnum: hit.score for hit in cached.search(q, limit=None)}
    assert theirs and ours == pytest.approx(theirs, rel=1e-12)


def test_posting_blocks_and_deletions_are_read_directly(ix: Any) -> None:
    requires(FilterMatcher, "__init__", used_by="postings.py")
    with ix.searcher() as s:
        for segment_searcher, _ in s.leaf_searchers():
            reader = segment_searcher.reader()
            matcher = reader.postings("body", b"habitants")
            if reader.has_deletions():
                assert isinstance(matcher, FilterMatcher), \
                    "whoosh: postings with deletions are no longer a FilterMatcher"
                requires(matcher, "child", used_by="postings.py")
                requires(reader, "_perdoc", used_by="postings.py")
                assert postings.deleted_docs(reader) == {0}
            raw = postings.unfiltered(matcher)
            requires(raw, *arrays._W3_PARTS, used_by="arrays.py")
            assert arrays.posting_list(raw).offsets, "whoosh: W3 posting blocks can no longer be read directly"
            # Every segment holds TEXTS[:5]; deleted documents are included (the callers drop them).
            holding = {d for d, text in enumerate(TEXTS[:5]) if "habitants" in text.split()}
            assert set(arrays.posting_list(reader.postings("body", b"habitants")).ids.tolist()) == holding


def test_posting_lists_are_read_whole_as_arrays(tmp_path: Path) -> None:
    """Lists of many blocks (Whoosh writes 128 postings a block), one float weight for a whole
    block, a weight per posting, one posting (stored inline), deleted documents: every list
    decoded whole gives the docnums and weights Whoosh's matcher gives one by one."""
    schema = fields.Schema(id=fields.ID(stored=True, unique=True), body=fields.TEXT)
    ix = FileStorage(str(tmp_path), supports_mmap=False).create_index(schema, indexname="t")
    for start in (0, 700):
        w = ix.writer(codec=whoosh3.W3Codec(compression=0))
        for n in range(start, start + 700):
            words = ["commun"] * (1 + n % 3) + (["pair"] if n % 2 == 0 else []) + (["unique"] if n == 5 else [])
            w.add_document(id=str(n), body=" ".join(words + ["mot%d" % (n % 40)]))
        w.commit(merge=False)
    w = ix.writer()
    for n in (3, 701):
        w.delete_by_term("id", str(n))
    w.commit(merge=False)
    with ix.searcher() as s:
        leaves = s.leaf_searchers()
        assert len(leaves) == 2
        longest = 0
        for segment_searcher, _ in leaves:
            reader = segment_searcher.reader()
            for text in list(reader.lexicon("body")):
                found = arrays.posting_list(reader.postings("body", text))
                ids, weights = found.ids, found.float64s()
                m = reader.postings("body", text)
                expected: list[tuple[int, float]] = []
                while m.is_active():
                    expected.append((m.id(), m.weight()))
                    m.next()
                # Whoosh's matcher skips deleted documents: the arrays hold them (the caller drops them).
                deleted = postings.deleted_docs(reader)
                got = [(d, w) for d, w in zip(ids.tolist(), weights.tolist(), strict=True) if d not in deleted]
                assert got == expected, text
                # Read from the term info's extent, without Whoosh's matcher: the same arrays.
                direct = arrays.read_list(reader, "body", text)
                assert (direct.ids.tolist(), direct.weights.tolist()) == (ids.tolist(), found.weights.tolist()), text
                longest = max(longest, len(ids))
            requires(reader._terms, "term_info", "_postfile", used_by="arrays.py")
            assert isinstance(reader._terms, whoosh3.W3TermsReader), "whoosh: segments no longer read by W3TermsReader"
            assert not len(arrays.read_list(reader, "body", b"absent"))
            assert not len(arrays.read_list(reader, "nofield", b"commun"))
    assert longest > 128 * 3


def test_block_ids_and_weights_are_read_without_their_positions(tmp_path: Path) -> None:
    """Every block of positional and frequency-only fields, compressed or not: the ids and
    weights read by cutting the pickled tuple before its values are those of the whole tuple,
    and the cut is what positional blocks take (their values are pickled bytes)."""
    import pickle
    import zlib

    schema = fields.Schema(body=fields.TEXT, spell=fields.TEXT(phrase=False))
    cut = 0
    for compression in (0, 3):
        (tmp_path / str(compression)).mkdir()
        ix = FileStorage(str(tmp_path / str(compression)), supports_mmap=False).create_index(schema, indexname="t")
        w = ix.writer(codec=whoosh3.W3Codec(compression=compression))
        for n in range(400):
            text = " ".join(["commun"] * (1 + n % 3) + (["pair"] if n % 2 == 0 else []) + ["mot%d" % (n % 7)])
            w.add_document(body=text, spell=text)
        w.commit()
        with ix.reader() as reader:
            for field in ("body", "spell"):
                for text in list(reader.lexicon(field)):
                    m = postings.unfiltered(reader.postings(field, text))
                    if not hasattr(m, "_dataoffset"):
                        continue  # inlined in the term info
                    while True:
                        data = m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
                        data = zlib.decompress(data) if m._compression else data
                        whole = pickle.loads(data)
                        assert arrays._ids_and_weights(data, m._blocklength) == (whole[0], whole[1])
                        cut += field == "body" and data.find(arrays._VALUES_START) > 0
                        if m._lastblock:
                            break
                        m._next_block()
    assert cut > 10, "whoosh: positions are no longer pickled as _codecs.encode calls (arrays._VALUES_START)"


def test_table_of_contents_names_what_a_writer_left(ix: Any, tmp_path: Path) -> None:
    requires(TOC, "_latest_generation", "read", "_pattern", "_segment_pattern", used_by="toc.py")
    assert toc.orphans(tmp_path, "t") == []
    stray = tmp_path / "t_deadbeef.seg"
    stray.write_bytes(b"")
    (tmp_path / "leftover.tmp").mkdir()
    assert {p.name for p in toc.orphans(tmp_path, "t")} == {stray.name, "leftover.tmp"}


def test_worker_side_preparation_matches_the_schema() -> None:
    # (That the workers load no whoosh is tests/test_architecture.py's.)
    schema = build_schema()
    ours = [(name, field.analyzer.stemming, bool(field.stored)) for name, field in schema.items()
            if isinstance(field.analyzer, FrenchTokenizer)]
    assert list(TEXT_FIELDS) == ours


def test_counting_files_know_their_position_after_every_kind_of_write(tmp_path: Path) -> None:
    requires(FileStorage, "create_file", used_by="storage.py")
    made = storage.IndexStorage(str(tmp_path)).create_file("f.bin")
    assert isinstance(made, storage.CountingFile)
    writes = [lambda f: f.write_varint(300), lambda f: f.write(b"abc"), lambda f: f.write(memoryview(b"xyz")),
              lambda f: f.write_pickle({"a": [1, 2, 3]}), lambda f: f.write_long(7),
              lambda f: f.write_array(array("I", [1, 2, 3])), lambda f: f.seek(2),
              lambda f: f.write_int(5), lambda f: f.seek(0, 2), lambda f: f.write_string(b"fin")]
    for write in writes:
        write(made)
        assert made.tell() == made.file.tell()
    made.raw_file().write(b"past the counter")
    assert made.tell() == made.file.tell()
    made.close()


def test_an_index_written_with_counting_files_is_the_same(tmp_path: Path) -> None:
    def content(ix: Any) -> list[Any]:
        found = []
        with ix.searcher() as s:
            for term in s.reader().all_terms():
                m = s.reader().postings(*term)
                while m.is_active():
                    found.append((term, m.id(), m.value()))
                    m.next()
        return found

    plain, counted = build(tmp_path / "plain"), build(tmp_path / "counted", store=storage.IndexStorage)
    assert content(plain) == content(counted) != []

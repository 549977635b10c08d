"""Each segment's word list (``internals.wordlists``): the distinct unstemmed words of the
documents it holds, counted per document, carried into the segments that merge it, and read by
prefix searches and spelling corrections. Checked on the demo corpus indexed by the real
pipeline in small batches, so that the merge policy merges some of them."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from indexer.ingest import Options, index_paths
from kb.analysis import Analyzer, fold
from kb.knowledgebase import KnowledgeBase
from kb.whoosh_backend import merging, wordlists
from kb.whoosh_backend.internals.wordlists import read_words
from kb.whoosh_backend.internals.writer import open_writer
from kb.whoosh_backend.prepare import analyze
from kb.whoosh_backend.spelling import corrections
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """The demo corpus indexed 4 documents at a time, segments of 5 documents or fewer in the
    first tier: the policy merges every 8 of them (``merging.FACTOR``)."""
    patch = pytest.MonkeyPatch()
    patch.setattr(merging, "SMALLEST", 5)
    home = tmp_path_factory.mktemp("word-lists") / "home"
    try:
        with KnowledgeBase(home) as kb:
            report = index_paths(kb, [ROOT / "corpus" / "documents"], Options(batch_docs=4))
            assert report.failed == [], report.failed
            yield kb
    finally:
        patch.undo()


def _segments(kb: KnowledgeBase) -> list[tuple[Any, list[str]]]:
    """Each segment's reader and the ids of the documents it holds, deleted ones included."""
    ix = kb.index._ix
    out = []
    with ix.searcher() as s:
        for segment_searcher, _ in s.leaf_searchers():
            reader = segment_searcher.reader()
            ids = [reader.stored_fields(n)["id"] for n in range(reader.doc_count_all())]
            out.append((reader.segment(), ids))
    return out


def _lists(kb: KnowledgeBase) -> list[tuple[Any, Any]]:
    ix = kb.index._ix
    with ix.searcher() as s:
        return [(segment_searcher.reader().segment(), read_words(segment_searcher.reader()))
                for segment_searcher, _ in s.leaf_searchers()]


def _counted(kb: KnowledgeBase, ids: list[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for doc_id in ids:
        counts.update(analyze(kb.document(doc_id)).words)
    return counts


def test_each_segment_lists_the_words_of_its_documents(merged: KnowledgeBase) -> None:
    segments = _segments(merged)
    lists = dict(_lists(merged))
    assert any(len(ids) > 4 for _, ids in segments), "no segment was merged: the test would check no merge"
    assert len(segments) >= 2
    for segment, ids in segments:
        listed = lists[segment]
        assert segment.is_compound()  # read from inside the compound file
        expected = _counted(merged, ids)
        entries = list(listed.entries())
        assert [word for word, _, _ in entries] == sorted(expected)
        assert [documents for _, documents, _ in entries] == [expected[w] for w, _, _ in entries]
        assert all(listed.find(word) == at for at, (word, _, _) in enumerate(entries))
        assert listed.find("zzzzz") == listed.find("") == -1
        assert list(listed.starting("habit")) == [w for w, _, _ in entries if w.startswith("habit")] != []


def test_a_document_sends_a_written_form_only_where_it_never_writes_the_word_plainly(merged: KnowledgeBase) -> None:
    from dataclasses import replace

    doc = next(d for d in map(merged.document, sorted(merged.index.ids()))
               if d is not None and " politique " in d.text and "anct" not in d.text.lower())
    shouted = analyze(replace(doc, title="POLITIQUE DE LA VILLE : ANCT"))
    assert "politique" in shouted.words and "anct" in shouted.words
    forms = dict(f.split("\t") for f in shouted.forms)
    assert "politique" not in forms  # the text writes it plainly: the capitals of the title lose
    assert forms["anct"] == "ANCT"  # written in capitals only


def test_words_are_shown_as_most_documents_write_them(merged: KnowledgeBase) -> None:
    shown: dict[str, str] = {}
    for _, listed in _lists(merged):
        shown.update((word, written) for word, _, written in listed.entries() if written)
    assert shown["education"] == "éducation"
    assert shown["anct"] == "ANCT"  # capitals kept where documents only write the word so
    assert "quartier" not in shown  # written "Quartier" or "QUARTIER" at times, mostly as itself
    with merged.index._ix.searcher() as s:
        assert wordlists.shown(s, "education") == "éducation"
        assert wordlists.shown(s, "quartier") == "quartier"
        assert wordlists.shown(s, "anct") == "ANCT"


def test_a_merge_keeps_the_words_of_deleted_documents_but_corrections_skip_them(merged: KnowledgeBase) -> None:
    ids = sorted(merged.index.ids())
    # A word of one document alone, whose stem no other document holds.
    stemmer = Analyzer()
    counts = _counted(merged, ids)
    stems = Counter(stemmer.term(w) for doc_id in ids for w in set(analyze(merged.document(doc_id)).words))
    with merged.index.searcher() as s:
        chosen = None
        for doc_id in ids:
            for word in sorted(analyze(merged.document(doc_id)).words):
                if len(word) < 8 or not word.isalpha() or counts[word] != 1 or stems[stemmer.term(word)] != 1:
                    continue
                typo = word[:3] + word[4:]
                if fold(corrections(s, stemmer, (typo,)).get(typo, "")) == word:
                    chosen = (doc_id, word, typo)
                    break
            if chosen:
                break
    assert chosen, "no word found to correct: the test would check nothing"
    doc_id, word, typo = chosen
    merged.remove([doc_id])
    writer = open_writer(merged.index._ix)
    writer.commit(optimize=True)
    [(_, listed)] = _lists(merged)
    assert listed.find(word) >= 0  # lists are added up, not rebuilt: the word stays listed
    with merged.index._ix.searcher() as s:
        assert fold(corrections(s, stemmer, (typo,)).get(typo, "")) != word
    assert all(listed.find(w) >= 0 for w in _counted(merged, sorted(merged.index.ids())))


def test_a_prefix_passes_over_the_words_of_deleted_documents(tmp_path: Path) -> None:
    """Twenty documents hold words that sort before « mobiliser »; once they are deleted and
    their segment merged, the prefix still finds the document holding « mobiliser »."""
    from kb.model import SearchRequest
    from kb.whoosh_backend.query import MAX_PREFIX_TERMS

    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(20):
        (folder / f"vieux-{n:02d}.md").write_text(f"# Note {n}\n\nLe mot mobilab{chr(97 + n)}x seul.\n",
                                                 encoding="utf-8")
    with KnowledgeBase(tmp_path / "home") as kb:
        assert index_paths(kb, [folder], Options(workers=1)).failed == []
        # A prefix stands for its first 16 words: the twenty notes fill them.
        assert kb.search(SearchRequest("mobil*")).total == MAX_PREFIX_TERMS < 20
        kb.remove(sorted(kb.index.ids()))
        (folder / "nouveau.md").write_text("# Quartier\n\nIl faut mobiliser les habitants.\n", encoding="utf-8")
        for old in folder.glob("vieux-*.md"):
            old.unlink()
        assert index_paths(kb, [folder], Options(workers=1)).failed == []
        writer = open_writer(kb.index._ix)
        writer.commit(optimize=True)
        [(_, listed)] = _lists(kb)
        assert listed.find("mobilabax") >= 0  # still listed, no longer indexed
        page = kb.search(SearchRequest("mobil*"))
        assert page.total == 1 and page.hits[0].title == "Quartier"


def test_a_damaged_word_list_is_reported_as_a_damaged_index(tmp_path: Path) -> None:
    from whoosh.filedb.filestore import FileStorage

    from kb.errors import DamagedIndex
    from kb.whoosh_backend.internals.wordlists import EXT
    from kb.whoosh_backend.schema import build_schema

    ix = FileStorage(str(tmp_path), supports_mmap=False).create_index(build_schema(), indexname="kb")
    w = open_writer(ix, compound=False)
    w.add_document(id="a", body="mobiliser")
    w.add_words(["mobiliser"], [])
    w.commit()
    [segment] = ix._segments()
    path = tmp_path / segment.make_filename(EXT)
    whole = path.read_bytes()
    with ix.searcher() as s:
        assert read_words(s.leaf_searchers()[0][0].reader()).find("mobiliser") == 0
    for damaged in (whole[:5], zlib.compress(b"mobiliser\tdeux"), zlib.compress(b"\xff\t1")):
        path.write_bytes(damaged)
        with ix.searcher() as s, pytest.raises(DamagedIndex, match="kb rebuild"):
            read_words(s.leaf_searchers()[0][0].reader())

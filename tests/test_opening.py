"""Opening a base takes no lock and neither rebuilds nor repairs (an outdated index is only
made anew, empty). An index a new version outdated is rebuilt by ``repair()`` (which the
shells run at start); until then a reader says so in French instead of answering from an empty index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from filelock import FileLock

from indexer.ingest import Options, index_paths
from kb.errors import DamagedIndex
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest
from kb.whoosh_backend.schema import SCHEMA_VERSION

TEXT = "Le conseil citoyen du quartier prioritaire a organisé une marche exploratoire avec les habitantes."


@pytest.fixture
def outdated(tmp_path: Path) -> Path:
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "marche.txt").write_text(TEXT, encoding="utf-8")
    home = tmp_path / "home"
    with KnowledgeBase(home) as kb:
        index_paths(kb, [sources], Options(workers=1))
    # What an older version left: an index of the previous schema.
    (home / "index" / "kb-schema.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION - 1}))
    return home


def test_a_reader_opens_an_outdated_base_without_the_lock_and_says_what_to_do(outdated: Path) -> None:
    lock = FileLock(str(outdated / "write.lock"))
    lock.acquire(timeout=0)  # another process writes: opening neither waits nor fails
    try:
        with KnowledgeBase(outdated, create=False) as kb:
            assert kb.index_outdated()
            with pytest.raises(DamagedIndex, match="kb rebuild"):
                kb.search(SearchRequest("marche"))
            assert not kb.repair()  # the writer holds the lock: the work is left to it
            assert kb.index_outdated()
    finally:
        lock.release()


def test_repair_rebuilds_an_outdated_index_then_readers_answer(outdated: Path) -> None:
    with KnowledgeBase(outdated, create=False) as kb:
        assert kb.repair()
        assert not kb.index_outdated()
        assert kb.search(SearchRequest("marche")).total == 1
    with KnowledgeBase(outdated, create=False) as kb:
        assert not kb.index_outdated()
        assert kb.repair()  # nothing to do
        assert kb.search(SearchRequest("marche")).total == 1


def test_a_reader_sees_the_rebuild_another_process_made(outdated: Path) -> None:
    with KnowledgeBase(outdated, create=False) as reader:  # makes the index anew, empty
        assert reader.index_outdated()
        with KnowledgeBase(outdated, create=False) as other:
            with pytest.raises(DamagedIndex, match="kb rebuild"):
                other.search(SearchRequest("marche"))
            with other.writing():
                other.rebuild()
        assert not reader.index_outdated()
        assert reader.search(SearchRequest("marche")).total == 1
        assert reader.repair()

"""Changes filed in the index as they come (``KnowledgeBase.staging``): nothing is visible
or recorded before the commit, the last change of an id wins, a cancel leaves nothing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kb.catalog import INDEXED, Change
from kb.knowledgebase import KnowledgeBase
from kb.model import Document, SearchRequest

FILE_EVERY = 8  # documents filed together here: the demo corpus then makes several groups


@pytest.fixture(autouse=True)
def small_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kb.staging.FILE_EVERY", FILE_EVERY)


@pytest.fixture(scope="module")
def documents(demo_base: KnowledgeBase) -> list[Document]:
    docs = list(demo_base.documents())
    assert len(docs) > 3 * FILE_EVERY, "enough documents to file several groups"
    return docs


def change(doc: Document) -> Change:
    return Change(doc.id, doc.file, INDEXED, document=doc)


def ids_found(kb: KnowledgeBase) -> set[str]:
    return kb.index.ids()


def test_nothing_is_visible_before_the_commit_and_everything_after(tmp_path: Path,
                                                                   documents: list[Document]) -> None:
    with KnowledgeBase(tmp_path / "home") as kb, kb.writing():
        staging = kb.staging()
        for doc in documents:
            staging.add(change(doc))
        assert kb.index.count() == 0 and kb.record(documents[0].id) is None, "filed, not yet committed"
        staging.commit()
        assert ids_found(kb) == {d.id for d in documents}
        assert all(kb.record(d.id) is not None for d in documents)


def test_the_last_change_of_an_id_wins_even_once_filed(tmp_path: Path, documents: list[Document]) -> None:
    first = documents[0]
    renamed = replace(first, title="Titre remplacé dans le même lot zygomatique")
    with KnowledgeBase(tmp_path / "home") as kb, kb.writing():
        staging = kb.staging()
        staging.add(change(first))
        for doc in documents[1:FILE_EVERY + 5]:  # the first is filed in the writer by now
            staging.add(change(doc))
        staging.add(change(renamed))
        staging.commit()
        assert kb.index.count() == FILE_EVERY + 5
        hits = kb.search(SearchRequest("zygomatique")).hits
        assert [h.id for h in hits] == [first.id]
        assert kb.record(first.id).title == renamed.title  # type: ignore[union-attr]


def test_a_cancelled_batch_leaves_nothing_and_the_next_one_commits(tmp_path: Path,
                                                                   documents: list[Document]) -> None:
    with KnowledgeBase(tmp_path / "home") as kb, kb.writing():
        staging = kb.staging()
        for doc in documents[:FILE_EVERY + 5]:
            staging.add(change(doc))
        staging.cancel()
        assert kb.index.count() == 0 and kb.record(documents[0].id) is None
        again = kb.staging()  # the index writer's lock was released
        again.add(change(documents[0]))
        again.commit()
        assert ids_found(kb) == {documents[0].id}

"""Writing through batches: what is put is held (``ids``, ``count``), a deleted document never
comes back, putting a document again replaces it, a failed batch leaves nothing behind, writes
outlive the process that made them, and a backend cleared and refilled from the catalog answers
exactly as before."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from kb.knowledgebase import KnowledgeBase
from kb.model import Groups, SearchPage, SearchRequest
from tests.contract.support import MakeBackend, Record, fill, found_ids, put

REQUESTS = [SearchRequest(""), SearchRequest("quartiers", page_size=20), SearchRequest("vélo école"),
            SearchRequest("habitants -participation", sort="date"), SearchRequest('"contrat de ville"', page=2),
            SearchRequest("", filters={"type": ("charte",), "themes": ("participation citoyenne",)}),
            SearchRequest("renouvelement urbain"), SearchRequest("resultats:emploi")]


def answers(backend: Any) -> list[SearchPage]:
    return [replace(backend.search(r), elapsed_ms=0.0) for r in REQUESTS]


def test_ids_and_count_are_what_was_put(fresh: Any, records: list[Record]) -> None:
    assert fresh.ids() == {doc.id for doc, _ in records}
    assert fresh.count() == len(records)


def test_a_new_backend_is_empty_and_needs_a_rebuild_until_filled(make_backend: MakeBackend, tmp_path: Path,
        records: list[Record]) -> None:
    made = make_backend(tmp_path / "index")
    try:
        assert made.needs_rebuild()
        assert made.ids() == set() and made.count() == 0
        page = made.search(SearchRequest("quartiers"))
        assert page.total == 0 and page.hits == ()
        assert made.similar(records[0][0].id) == () and made.passages(records[0][0].id, "quartiers") == ()
        fill(made, records)
        assert not made.needs_rebuild()
    finally:
        made.close()


def test_writes_outlive_the_backend_that_made_them(make_backend: MakeBackend, tmp_path: Path,
        records: list[Record]) -> None:
    made = make_backend(tmp_path / "index")
    fill(made, records)
    before = answers(made)
    with made.batch() as batch:
        batch.delete(records[0][0].id)
    made.close()
    reopened = make_backend(tmp_path / "index")
    try:
        assert not reopened.needs_rebuild()
        assert reopened.ids() == {doc.id for doc, _ in records[1:]}
        fill(reopened, records)
        assert answers(reopened) == before
    finally:
        reopened.close()


def test_a_deleted_document_never_comes_back(fresh: Any, records: list[Record]) -> None:
    everything = fresh.search(SearchRequest(""))
    gone = [doc for doc, _ in records if doc.type == "charte"][:2] + [records[-1][0]]
    with fresh.batch() as batch:
        for doc in gone:
            batch.delete(doc.id)
        batch.delete("absent000000")  # an id the backend never held: nothing happens
    ids = {doc.id for doc in gone}
    assert fresh.ids() == {doc.id for doc, _ in records} - ids
    assert fresh.count() == len(records) - len(gone)
    for doc in gone:
        for request in (SearchRequest(doc.title, page_size=100), SearchRequest(f'"{doc.title}"'),
                        SearchRequest("", sort="date", page_size=100), SearchRequest("", sort="added", page_size=100),
                        SearchRequest("", filters={"type": (doc.type,)}, page_size=100)):
            assert doc.id not in {h.id for h in fresh.search(request).hits}, request
        assert fresh.passages(doc.id, doc.title) == ()
        assert fresh.similar(doc.id) == ()
    for doc, _ in records[:10]:
        assert ids.isdisjoint(h.id for h in fresh.similar(doc.id, limit=len(records)))
    after = fresh.search(SearchRequest(""))
    assert after.total == everything.total - len(gone)
    types = {fv.value: fv.count for fv in after.facets["type"]}
    for fv in everything.facets["type"]:
        assert types.get(fv.value, 0) == fv.count - sum(doc.type == fv.value for doc in gone)


def test_putting_a_document_again_replaces_it(fresh: Any, records: list[Record]) -> None:
    doc, added = records[3]
    old_word = "xylophone"
    assert found_ids(fresh, old_word) == [] and doc.id in found_ids(fresh, "", filters={"type": (doc.type,)})
    changed = replace(doc, title="Rapport sur le xylophone des quartiers", type="autre",
                      text=doc.text + "\nLe xylophone du quartier.", themes=("culture",))
    # Once per batch: a caller puts an id at most once in one batch (README.md).
    for _ in range(2):
        with fresh.batch() as batch:
            put(batch, changed, added)
    assert fresh.count() == len(records) and doc.id in fresh.ids()
    assert found_ids(fresh, old_word) == [doc.id]
    hit = fresh.search(SearchRequest(old_word)).hits[0]
    assert (hit.title, hit.type, hit.themes) == (changed.title, "autre", ("culture",))
    assert doc.type != "autre" and doc.id not in found_ids(fresh, "", filters={"type": (doc.type,)})
    assert doc.id in found_ids(fresh, "", filters={"type": ("autre",)})
    listing = found_ids(fresh, "")
    assert len(listing) == len(set(listing)) == len(records)


def test_a_failed_batch_leaves_nothing_behind(fresh: Any, records: list[Record]) -> None:
    before = answers(fresh)
    doc, added = records[0]
    with pytest.raises(RuntimeError, match="interrompu"):
        with fresh.batch() as batch:
            batch.delete(records[1][0].id)
            put(batch, replace(doc, title="Titre jamais validé"), added)
            raise RuntimeError("interrompu")
    assert fresh.ids() == {d.id for d, _ in records}
    assert answers(fresh) == before
    with pytest.raises(RuntimeError):
        with fresh.batch(clear=True) as batch:
            raise RuntimeError("interrompu")
    assert fresh.count() == len(records) and answers(fresh) == before
    with fresh.batch() as batch:  # the backend still takes writes
        batch.delete(records[1][0].id)
    assert fresh.count() == len(records) - 1


def test_cleared_and_refilled_from_the_catalog_it_answers_as_before(fresh: Any, records: list[Record]) -> None:
    before = answers(fresh)
    assert all(page.total for page in before)
    with fresh.batch() as batch:
        for doc, _ in records[::4]:
            batch.delete(doc.id)
        for doc, added in records[1::4]:
            put(batch, replace(doc, title="Titre provisoire", text="Texte provisoire."), added)
    assert answers(fresh) != before
    fill(fresh, records, clear=True)
    assert fresh.ids() == {doc.id for doc, _ in records} and fresh.count() == len(records)
    assert answers(fresh) == before
    # A clear batch replaces everything, also documents the catalog no longer has.
    fill(fresh, records[1:], clear=True)
    assert fresh.ids() == {doc.id for doc, _ in records[1:]}


def test_it_finds_what_the_knowledge_base_found(backend: Any, demo_base: KnowledgeBase,
                                                demo_groups: Groups) -> None:
    # The base indexed the files (in batches, in the workers' order); the backend was filled
    # from its catalog: the same results (a group shown by either member), the same facets.
    group = demo_groups.leaders
    for request in REQUESTS:
        wide = replace(request, page=1, page_size=100)
        ours, theirs = backend.search(wide), demo_base.search(wide)
        assert ours.total == theirs.total > 0
        assert sorted(group.get(h.id, h.id) for h in ours.hits) == sorted(group.get(h.id, h.id) for h in theirs.hits)
        assert ours.facets == theirs.facets and ours.suggestion == theirs.suggestion

"""A removed document leaves a tombstone: harvesters (OAI-PMH) are told it is gone, for ever,
with the type and themes it had, and a document that comes back is live again."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase

SANTE = "Contrat local de santé du quartier\n\nLe contrat local de santé (CLS) et la santé des habitants.\n"
EMPLOI = "Compte rendu emploi\n\nL'emploi des jeunes, l'insertion professionnelle et la mission locale.\n"


def _base(tmp_path: Path) -> tuple[KnowledgeBase, Path]:
    src = tmp_path / "src"
    src.mkdir()
    (src / "sante.txt").write_text(SANTE, encoding="utf-8")
    (src / "emploi.txt").write_text(EMPLOI, encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "home")
    index_paths(kb, [src], Options(workers=1))
    return kb, src


def _id(kb: KnowledgeBase, name: str) -> str:
    return next(e.id for e in kb.known_files() if e.path.endswith(name))


def test_removed_row_goes_but_its_tombstone_stays(tmp_path: Path) -> None:
    kb, src = _base(tmp_path)
    try:
        sante = _id(kb, "sante.txt")
        before = kb.revision(sante)
        assert before is not None and before.live
        themes = kb.document(sante, text=False).themes
        assert themes  # the thesaurus finds « santé »
        with kb.writing():
            kb.remove([sante])
        assert kb.entry(sante) is None  # the row itself is deleted
        gone = kb.revision(sante)
        assert gone is not None and not gone.live
        assert gone.themes == themes and gone.type == before.type
        assert gone.changed_at > before.changed_at
        # Listed after everything else, by the time it went.
        listed = kb.revisions()
        assert [r.id for r in listed][-1] == sante and len(listed) == 2
        # ... and a rebuild forgets nothing.
        with kb.writing():
            kb.rebuild()
        assert kb.revision(sante) == gone
    finally:
        kb.close()


def test_pruned_file_leaves_a_tombstone_and_a_returning_one_lives_again(tmp_path: Path) -> None:
    kb, src = _base(tmp_path)
    try:
        emploi = _id(kb, "emploi.txt")
        kind = kb.revision(emploi).type  # type: ignore[union-attr]
        text = (src / "emploi.txt").read_text(encoding="utf-8")
        (src / "emploi.txt").unlink()
        index_paths(kb, [src], Options(workers=1, prune=True))
        gone = kb.revision(emploi)
        assert gone is not None and not gone.live and gone.type == kind
        (src / "emploi.txt").write_text(text, encoding="utf-8")
        index_paths(kb, [src], Options(workers=1))
        back = kb.revision(emploi)  # same content, same path: the same id
        assert back is not None and back.live and back.changed_at > gone.changed_at
        assert [r.id for r in kb.revisions()].count(emploi) == 1
    finally:
        kb.close()


def test_revisions_walk_by_cursor_and_bounds(tmp_path: Path) -> None:
    kb, src = _base(tmp_path)
    try:
        # One run stamps its documents alike: the cursor's id breaks the tie.
        first, second = kb.revisions()
        assert first.changed_at == second.changed_at and first.id < second.id
        assert kb.revisions(after=(first.changed_at, first.id)) == [second]
        (src / "later.txt").write_text("Une lettre d'information plus tardive.\n", encoding="utf-8")
        index_paths(kb, [src], Options(workers=1))
        *_, third = kb.revisions()
        assert third.changed_at > second.changed_at
        assert kb.revisions(since=third.changed_at) == [third]
        assert kb.revisions(before=third.changed_at) == [first, second]
        assert kb.revisions(limit=1) == [first]
        assert kb.revision("000000000000") is None
    finally:
        kb.close()


def test_a_document_that_fails_after_an_edit_is_gone_for_harvesters(tmp_path: Path) -> None:
    from kb.catalog import FAILED, Change

    kb, _ = _base(tmp_path)
    try:
        entry = kb.entry(_id(kb, "emploi.txt"))
        assert entry is not None
        with kb.writing():
            changed = replace(entry.file, size=entry.file.size + 1, mtime=entry.file.mtime + 1, sha256="f" * 64)
            kb.apply([Change(entry.id, changed, FAILED, error="illisible")])
        gone = kb.revision(entry.id)
        assert gone is not None and not gone.live and gone.changed_at > entry.updated_at
        assert [r.live for r in kb.revisions() if r.id == entry.id] == [False]
    finally:
        kb.close()

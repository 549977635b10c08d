"""The ingestion pipeline: incremental runs, edits, moves, prune, failures, dry runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from indexer.ingest import Options, Report, index_paths
from indexer.plan import scan
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest

FICHE = """# Fiche d'expérience : un jardin partagé aux Tilleuls

Contexte : les habitants du quartier prioritaire des Tilleuls voulaient un lieu de rencontre.
Objectifs : créer du lien social et lutter contre les îlots de chaleur.
"""
CHARTE = """Charte partenariale du contrat de ville de Valmont

Signée le 16 mars 2017 par la ville, l'État (CGET) et les bailleurs sociaux.
Les partenaires s'engagent pour l'emploi des jeunes du QPV.
"""
PAGE = """<!doctype html><html lang="fr"><head><title>Conseil citoyen : bilan 2021</title></head>
<body><nav>Accueil | Contact</nav><main><h1>Conseil citoyen : bilan 2021</h1>
<p>Le conseil citoyen de la Sablière a réuni quarante habitants en 2021 pour préparer le
renouvellement urbain du quartier avec l'ANRU.</p></main><footer>Mentions légales</footer></body></html>
"""


def write_corpus(root: Path) -> dict[str, Path]:
    root.mkdir(parents=True, exist_ok=True)
    files = {
        "fiche": root / "fiches" / "jardin.md",
        "charte": root / "charte.txt",
        "page": root / "conseil.html",
    }
    files["fiche"].parent.mkdir(exist_ok=True)
    files["fiche"].write_text(FICHE, encoding="utf-8")
    files["charte"].write_bytes(CHARTE.encode("cp1252"))
    files["page"].write_text(PAGE, encoding="utf-8")
    return files


def run(kb: KnowledgeBase, *paths: Path, prune: bool = False) -> Report:
    return index_paths(kb, list(paths), Options(workers=1, prune=prune))


@pytest.fixture
def kb(tmp_path: Path):
    with KnowledgeBase(tmp_path / "home") as base:
        yield base


def test_first_run_indexes_and_second_run_skips(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "docs")
    (tmp_path / "docs" / "photo.gif").write_bytes(b"GIF89a" + b"\0" * 100)
    first = run(kb, tmp_path / "docs")
    assert sorted(first.indexed) == sorted(str(p) for p in files.values())
    assert [p for p, _ in first.skipped] == [str(tmp_path / "docs" / "photo.gif")]
    assert first.failed == []
    second = run(kb, tmp_path / "docs")
    assert second.indexed == [] and len(second.unchanged) == 3 and len(second.skipped) == 1
    assert kb.check().ok


def test_cp1252_text_is_searchable_with_and_without_accents(kb: KnowledgeBase, tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs")
    run(kb, tmp_path / "docs")
    for query in ("partenaires engagés", "Charte partenariale", "emploi des jeunes"):
        page = kb.search(SearchRequest(query))
        assert page.hits and page.hits[0].title.startswith("Charte partenariale"), query


def test_edit_keeps_id_and_updates_text(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "docs")
    run(kb, tmp_path / "docs")
    before = kb.entry_at(str(files["fiche"]))
    assert before is not None
    files["fiche"].write_text(FICHE + "\nNouveau : un composteur collectif.\n", encoding="utf-8")
    os.utime(files["fiche"], (1_700_000_000, 1_700_000_000))
    report = run(kb, tmp_path / "docs")
    assert report.indexed == [str(files["fiche"])]
    after = kb.entry_at(str(files["fiche"]))
    assert after is not None and after.id == before.id and after.file.sha256 != before.file.sha256
    assert [h.id for h in kb.search(SearchRequest("composteur")).hits] == [before.id]
    assert kb.check().ok


def test_touched_file_is_unchanged(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "docs")
    run(kb, tmp_path / "docs")
    os.utime(files["charte"], (1_600_000_000, 1_600_000_000))
    report = run(kb, tmp_path / "docs")
    assert report.indexed == [] and str(files["charte"]) in report.unchanged


def test_move_keeps_id_and_prune_removes_gone(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "docs")
    run(kb, tmp_path / "docs")
    old = kb.entry_at(str(files["page"]))
    assert old is not None
    moved = tmp_path / "docs" / "archives" / "conseil-2021.html"
    moved.parent.mkdir()
    shutil.move(files["page"], moved)
    files["charte"].unlink()
    report = run(kb, tmp_path / "docs", prune=True)
    assert report.indexed == [str(moved)]
    assert report.removed == [str(files["charte"])]
    entry = kb.entry_at(str(moved))
    assert entry is not None and entry.id == old.id
    assert kb.entry_at(str(files["charte"])) is None
    assert kb.search(SearchRequest("Valmont partenariale")).total == 0
    assert kb.document(old.id).path == str(moved)
    assert kb.check().ok


def test_a_file_no_longer_ours_takes_its_document_away(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A Markdown file saved again as UTF-16 without a BOM is no longer read: its old text must
    not stay searchable under its name."""
    files = write_corpus(tmp_path / "docs")
    run(kb, tmp_path / "docs")
    assert kb.search(SearchRequest("Valmont partenariale")).total == 1
    files["charte"].write_bytes(CHARTE.encode("utf-16-le"))
    report = run(kb, tmp_path / "docs")
    assert report.removed == [str(files["charte"])]
    assert [p for p, _ in report.skipped] == [str(files["charte"])]
    assert kb.search(SearchRequest("Valmont partenariale")).total == 0
    assert kb.entry_at(str(files["charte"])) is None
    assert kb.check().ok


def test_a_file_replaced_by_a_folder_is_gone(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "docs")
    run(kb, tmp_path / "docs")
    files["charte"].unlink()
    files["charte"].mkdir()
    (files["charte"] / "notes.txt").write_text("Notes de la réunion du conseil citoyen.\n", encoding="utf-8")
    report = run(kb, tmp_path / "docs", prune=True)
    assert report.removed == [str(files["charte"])]
    assert report.indexed == [str(files["charte"] / "notes.txt")]
    assert kb.search(SearchRequest("Valmont partenariale")).total == 0
    assert kb.check().ok


def test_without_prune_gone_documents_stay(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "docs")
    run(kb, tmp_path / "docs")
    files["charte"].unlink()
    report = run(kb, tmp_path / "docs")
    assert report.removed == []
    assert kb.search(SearchRequest("partenariale")).total == 1


def test_bad_file_is_reported_and_again_when_unchanged(kb: KnowledgeBase, tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs")
    broken = tmp_path / "docs" / "rapport.pdf"
    broken.write_bytes(b"%PDF-1.4\n" + b"garbage " * 50)
    empty = tmp_path / "docs" / "vide.txt"
    empty.write_bytes(b"")
    first = run(kb, tmp_path / "docs")
    failed = dict(first.failed)
    assert set(failed) == {str(broken), str(empty)}
    assert all(reason for reason in failed.values())
    assert len(first.indexed) == 3
    second = run(kb, tmp_path / "docs")
    assert dict(second.failed) == failed
    assert second.indexed == []
    assert kb.stats().failed == 2
    assert kb.check().ok


def test_dry_run_writes_nothing(kb: KnowledgeBase, tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs")
    plan = scan([tmp_path / "docs"], kb)
    assert len(plan.work) == 3
    assert kb.known_files() == [] and kb.index.count() == 0 and kb._store.shas() == set()


def test_rebuild_and_rm_keep_everything_consistent(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "docs")
    run(kb, tmp_path / "docs")
    ids = {e.id for e in kb.known_files()}
    with kb.writing():
        assert kb.rebuild() == 3
    assert kb.index.ids() == ids
    entry = kb.resolve(str(files["fiche"]))
    with kb.writing():
        kb.remove([entry.id])
        kb.collect_garbage()
    assert kb.index.ids() == ids - {entry.id}
    assert entry.file.sha256 not in kb._store.shas()
    assert kb.check().ok


def test_originals_are_kept_in_the_store(kb: KnowledgeBase, tmp_path: Path) -> None:
    files = write_corpus(tmp_path / "docs")
    run(kb, tmp_path / "docs")
    entry = kb.resolve(str(files["charte"]))
    stored = kb.original(entry.id)
    assert stored.read_bytes() == files["charte"].read_bytes()
    shutil.rmtree(tmp_path / "docs")
    assert kb.original(entry.id).is_file()


def test_index_format_change_rebuilds_from_the_catalog_on_repair(tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs")
    with KnowledgeBase(tmp_path / "home") as kb:
        run(kb, tmp_path / "docs")
        ids = kb.index.ids()
    # What an upgrade that changes the analysis or the schema looks like on disk.
    (tmp_path / "home" / "index" / "kb-schema.json").write_text('{"schema_version": 0}')
    with KnowledgeBase(tmp_path / "home") as kb:
        assert kb.repair()  # the explicit step the shells (kb, the web app) run at start
        assert kb.index.ids() == ids
        assert kb.search(SearchRequest("jardin partagé")).total == 1
        assert kb.check().ok


def test_the_last_results_are_committed_apart_so_the_last_commit_is_small(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The demo corpus's 50 documents, batches split from 20 documents: once at most a sixth
    # of the batch is still to come, the batch is committed, and the rest is the last commit.
    import indexer.ingest

    monkeypatch.setattr(indexer.ingest, "TAIL_MIN_DOCS", 20)
    monkeypatch.setattr(indexer.ingest, "BATCH_SECONDS", 3600.0)  # a slow machine commits by size only
    monkeypatch.setattr(indexer.ingest, "PACE_RESULTS", 10**6)  # by count only: the pace is the machine's
    documents = Path(__file__).resolve().parents[1] / "corpus" / "documents"
    with KnowledgeBase(tmp_path / "home") as base:
        report = index_paths(base, [documents], Options(workers=2))
        assert report.failed == []
        with base.index.searcher() as s:
            sizes = [leaf.doc_count_all() for leaf, _ in s.leaf_searchers()]
        indexed = len(report.indexed)
        assert sum(sizes) == indexed == base.stats().documents
        last = indexed - max(sizes)
        # Two commits: the early one, then the rest. The rest is what the workers had still
        # to deliver (at most a sixth of the batch) plus what waited in the feed when the
        # rule fired, so it is only known to be the smaller of the two.
        assert len(sizes) == 2 and 0 < last < max(sizes)
        assert base.search(SearchRequest("jardin")).total > 0


def test_a_batch_is_committed_early_when_the_rest_comes_faster_than_its_commit() -> None:
    from indexer.ingest import COMMIT_PER_FILING, PACE_RESULTS, TAIL_MIN_DOCS, end_in_sight

    steady = [i * 0.01 for i in range(PACE_RESULTS)]  # 100 results a second lately
    count = TAIL_MIN_DOCS * 2
    # 300 results still to come: 3 s at that pace, while committing this batch takes about
    # COMMIT_PER_FILING times the time its filing took.
    assert end_in_sight(count, 300, steady, filing=3.1 / COMMIT_PER_FILING)
    assert not end_in_sight(count, 300, steady, filing=2.9 / COMMIT_PER_FILING)
    # The same, four times slower lately: 12 s to come.
    slow = [t * 4 for t in steady]
    assert not end_in_sight(count, 300, slow, filing=3.0 / COMMIT_PER_FILING)
    # Too few results lately to know the pace, or none still to come, or too small a batch.
    assert not end_in_sight(count, 300, steady[:-1], filing=100.0)
    assert not end_in_sight(count, 0, steady, filing=100.0)
    assert not end_in_sight(TAIL_MIN_DOCS - 1, 300, steady, filing=100.0)
    # Counted: at most a sixth of the batch still to come, whatever the pace.
    assert end_in_sight(count, count // 6, [], filing=0.0)

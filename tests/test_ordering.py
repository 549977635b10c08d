"""Orderings and lookups that pages, feeds and re-indexing rely on: results by date (newest
first, undated last, across segments and pages), results by relevance with exact ties, and the
catalog's "which of these ids are indexed" lookup over thousands of ids."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest

DATES = ["2019-05-01", "2023-01-10", "2021-07-07", "2016-03-15", "2024-11-30", "2020-02-29",
         "2018-09-12", "2022-06-01", None, None]


def _write(folder: Path) -> dict[str, str | None]:
    """Markdown files about one topic, dated (or not) in their front matter; two are identical."""
    folder.mkdir(parents=True)
    dated: dict[str, str | None] = {}
    for n, date in enumerate(DATES):
        front = f"title: Jardin partagé numéro {n}\n" + (f"date: {date}\n" if date else "")
        body = (f"# Jardin partagé numéro {n}\n\nLe jardin partagé du quartier prioritaire réunit les "
                f"habitants autour d'un potager ({n} parcelles), avec le bailleur social et le centre social.\n")
        path = folder / f"jardin-{n}.md"
        path.write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
        dated[str(path.resolve())] = date
    # Twins with the same words of the query, as often and in texts of the same length: equal
    # scores. Not copies (those are one result, kb.kinship): one word that is not searched differs.
    for name, who in (("jumelle-a.md", "habitants"), ("jumelle-b.md", "voisins")):
        twin = f"---\ntitle: Fiche jumelle\n---\n\nLe jardin partagé du quartier accueille les {who}.\n"
        (folder / name).write_text(twin, encoding="utf-8")
    return dated


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KnowledgeBase, dict[str, str | None]]]:
    root = tmp_path_factory.mktemp("ordering")
    dated = _write(root / "docs")
    with KnowledgeBase(root / "home") as kb:
        # Batches of 3: the dates to order come from several segments.
        report = index_paths(kb, [root / "docs"], Options(batch_docs=3))
        assert report.failed == []
        yield kb, dated


def test_date_order_is_newest_first_then_undated_across_pages(base: tuple[KnowledgeBase, dict]) -> None:
    kb, dated = base
    with kb.index.searcher() as s:
        assert len(s.leaf_searchers()) >= 2
    seen: list[str | None] = []
    for page in (1, 2, 3):
        result = kb.search(SearchRequest("potager", sort="date", page=page, page_size=4))
        assert result.total == len(DATES)
        seen += [dated[hit.path] for hit in result.hits]
    assert len(seen) == len(DATES)
    known = [d for d in DATES if d]
    assert seen[:len(known)] == sorted(known, reverse=True)
    assert seen[len(known):] == [None, None]


def test_date_order_keeps_filters(base: tuple[KnowledgeBase, dict]) -> None:
    kb, dated = base
    result = kb.search(SearchRequest("jardin", filters={"year": ("2021", "2023")}, sort="date"))
    assert [dated[h.path] for h in result.hits] == ["2023-01-10", "2021-07-07"]


def test_equal_scores_tie_in_a_stable_order(base: tuple[KnowledgeBase, dict]) -> None:
    kb, _ = base
    request = SearchRequest("fiche jumelle jardin")
    first = kb.search(request).hits[:2]
    assert {Path(h.path).name for h in first} == {"jumelle-a.md", "jumelle-b.md"}
    assert first[0].score == first[1].score
    with kb.index.searcher() as s:
        docnums = [s.document_number(id=h.id) for h in first]
    assert docnums[0] < docnums[1]  # the one indexed first
    for _ in range(3):
        kb.index._pages.clear()  # computed again, not read from the page cache
        assert [h.id for h in kb.search(request).hits[:2]] == [h.id for h in first]


def test_indexed_among_answers_for_more_ids_than_one_statement_takes(base: tuple[KnowledgeBase, dict]) -> None:
    kb, _ = base
    indexed = {e.id for e in kb.indexed_entries()}
    assert len(indexed) == len(DATES) + 2
    # More ids than SQLite before 3.32 takes in one statement (999): looked up in several.
    unknown = [f"absent{n:05d}" for n in range(5_000)]
    asked = unknown[:2_500] + sorted(indexed) + unknown[2_500:]
    assert kb.indexed_among(asked) == indexed
    assert kb.indexed_among(unknown) == set()
    one = sorted(indexed)[0]
    kb.remove([one])
    assert kb.indexed_among(asked) == indexed - {one}

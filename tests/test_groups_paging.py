"""A group of copies is one result on every page: totals, pages and facet counts agree, for
any shape of query (words, a phrase, a field alone, no words at all)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest

PAIRS = 15
WORDS = ("habitants quartier jardin école emploi santé logement transport culture sport association "
         "bailleur mairie conseil citoyen projet budget réunion atelier formation insertion jeunesse "
         "famille commerce marché sécurité propreté éclairage parc médiathèque crèche").split()


def _text(n: int) -> str:
    rng = random.Random(n)
    body = " ".join(rng.choice(WORDS) for _ in range(120))
    return f"# Rapport d'activité de l'association numéro {n:03d}\n\nRapport annuel. {body}.\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    """15 reports, each also copied into a shared folder (30 files, 15 documents to show),
    and 5 reports without a copy."""
    root = tmp_path_factory.mktemp("paging")
    docs = root / "docs"
    for folder in ("centre", "partage"):
        (docs / folder).mkdir(parents=True)
    for n in range(PAIRS):
        (docs / "centre" / f"rapport-{n:03d}.md").write_text(_text(n), encoding="utf-8")
        (docs / "partage" / f"copie-{n:03d}.md").write_text(_text(n), encoding="utf-8")
    for n in range(100, 105):
        (docs / "centre" / f"rapport-{n:03d}.md").write_text(_text(n), encoding="utf-8")
    with KnowledgeBase(root / "home") as kb:
        report = index_paths(kb, [docs], Options(workers=1))
        assert len(report.indexed) == 2 * PAIRS + 5
        yield kb


@pytest.mark.parametrize("query", ["rapport annuel", '"rapport annuel"', "titre:rapport", ""])
@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_every_page_is_full_and_the_total_counts_groups(base: KnowledgeBase, query: str, sort: str) -> None:
    size = 4
    first = base.search(SearchRequest(query, page=1, page_size=size, sort=sort))
    assert first.total == PAIRS + 5, (query, sort)
    seen: list[str] = []
    for page in range(1, -(-first.total // size) + 1):
        result = base.search(SearchRequest(query, page=page, page_size=size, sort=sort))
        assert result.total == first.total
        assert len(result.hits) == min(size, first.total - (page - 1) * size), (query, sort, page)
        seen += [Path(h.path).name for h in result.hits]
    assert len(seen) == len(set(seen)) == PAIRS + 5
    # One file of each pair, whichever it is, and every report without a copy.
    numbers = sorted(name.split("-")[1] for name in seen)
    assert numbers == sorted([f"{n:03d}.md" for n in range(PAIRS)] + [f"{n}.md" for n in range(100, 105)])


def test_facet_counts_agree_with_the_total(base: KnowledgeBase) -> None:
    result = base.search(SearchRequest("rapport"))
    formats = {fv.value: fv.count for fv in result.facets["format"]}
    assert formats == {"markdown": result.total} and result.total == PAIRS + 5
    filtered = base.search(SearchRequest("rapport", filters={"format": ("markdown",)}))
    assert filtered.total == result.total
    assert {fv.value: fv.count for fv in filtered.facets["format"]} == {"markdown": result.total}

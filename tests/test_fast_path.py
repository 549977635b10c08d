"""Words typed side by side are scored with numpy over whole decoded posting lists
(``kb.whoosh_backend.scoring``); the result must be what Whoosh's own matchers and scorer give:
the same count, page, order and facets. Checked on the demo corpus indexed in several segments,
with deleted documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "documents"
QUERIES = ["participation des habitants", "QPV", "l'ANCT et les quartiers prioritaires",
           "renouvellement urbain", "conseil citoyen jeunes emploi", "jardins partagés", "habitants"]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    if not any(CORPUS.rglob("*.*")):
        pytest.skip("demo corpus absent")
    home = tmp_path_factory.mktemp("fast") / "home"
    with KnowledgeBase(home) as kb:
        report = index_paths(kb, [CORPUS], Options(batch_docs=7))  # several segments
        assert report.failed == []
        kb.remove(sorted(kb.index.ids())[:2])  # deleted documents stay in their segment until a merge
        with kb.index.searcher() as s:
            assert len(s.leaf_searchers()) >= 2 and s.reader().has_deletions()
        yield kb


# Words side by side, questions, a typo, filters, pages and date order: every shape the numpy
# path serves, on a base of several segments with deleted documents.
FAST_REQUESTS = [(text, {}, 1, "relevance") for text in QUERIES + ["santé éducation jeunes emploi logement",
                                                                   "partcipation citoyenne",
                                                                   "Comment associer les habitants au projet ?"]] + [
    ("habitants", {"type": ("charte",)}, 1, "relevance"),
    ("conseil citoyen quartier", {"year": ("2021", "2022", "2023")}, 1, "relevance"),
    ("habitants quartier", {}, 2, "relevance"),
    ("habitants quartier", {}, 1, "date"),
]


@pytest.mark.parametrize(("text", "filters", "page", "sort"), FAST_REQUESTS)
def test_fast_path_pages_are_the_reference_paths(base: KnowledgeBase, text: str, filters: dict[str, tuple[str, ...]],
                                                  page: int, sort: str) -> None:
    """The numpy path (decoded posting lists, scores in arrays, a short list ranked in Python)
    gives the page, count, facets and order Whoosh's own matchers and scorer give."""
    index = base.index
    request = SearchRequest(text, filters=filters, page=page, page_size=5, sort=sort)
    pages = []
    for fast in (True, False, True):  # the third: from the kept decoded lists
        index._finder.fast = fast
        index._pages.clear()
        try:
            pages.append(base.search(request))
        finally:
            index._finder.fast = True
    assert pages[0].total > 0, f"{text!r} finds nothing: the comparison would check nothing"
    for ours in (pages[0], pages[2]):
        reference = pages[1]
        assert ours.total == reference.total
        assert [h.id for h in ours.hits] == [h.id for h in reference.hits]
        assert [h.score for h in ours.hits] == pytest.approx([h.score for h in reference.hits], abs=1e-4)
        assert ours.facets == reference.facets

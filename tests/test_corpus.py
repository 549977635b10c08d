"""The demo corpus is a golden test: corpus/expected.toml says, for each document, its title,
type, a phrase of its text and the queries that must rank it in the top 3; plus the acceptance
checks of the core issue (synonyms, acronyms, stemming, type filter)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest
from tests.conftest import corpus_path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
EXPECTED = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))
DOCUMENTS = {k: v for k, v in EXPECTED.items() if k != "checks"}
CHECKS = EXPECTED.get("checks", [])


@pytest.fixture(scope="module")
def base(demo_base: KnowledgeBase) -> KnowledgeBase:
    return demo_base


path_of = corpus_path


def test_corpus_is_large_and_covers_every_format(base: KnowledgeBase) -> None:
    stats = base.stats()
    assert stats.documents >= 40
    assert set(stats.by_format) >= {"pdf", "html", "docx", "odt", "markdown", "text"}
    assert len(stats.by_type) == 8


@pytest.mark.parametrize("relative", sorted(DOCUMENTS))
def test_document_metadata_and_text(base: KnowledgeBase, relative: str) -> None:
    expected = DOCUMENTS[relative]
    doc = base.document(path_of(relative))
    assert doc.title == expected["title"]
    assert doc.type == expected["type"]
    # The extractor may leave a repeated page title out of the text: it is indexed as the title.
    assert expected["contains"] in re.sub(r"\s+", " ", doc.title + " " + doc.text)


@pytest.mark.parametrize("relative", sorted(DOCUMENTS))
def test_document_queries_rank_it_in_top_3(base: KnowledgeBase, relative: str) -> None:
    target = path_of(relative)
    for query in DOCUMENTS[relative].get("queries", []):
        hits = base.search(SearchRequest(query, page_size=3, facets=False)).hits
        assert target in [h.path for h in hits], f"{query!r} -> {[h.title for h in hits]}"
    page_query = DOCUMENTS[relative].get("page_queries")
    if page_query:
        hits = base.search(SearchRequest(page_query["query"], page_size=3, facets=False)).hits
        hit = next(h for h in hits if h.path == target)
        assert hit.page == page_query["page"]


@pytest.mark.parametrize("check", CHECKS, ids=[c["query"] + (" | " + c["type"] if "type" in c else "")
                                              for c in CHECKS])
def test_acceptance_checks(base: KnowledgeBase, check: dict) -> None:
    filters = {"type": (check["type"],)} if "type" in check else {}
    page = base.search(SearchRequest(check["query"], filters=filters, page_size=100, facets=False))
    paths = [h.path for h in page.hits]
    expected = [path_of(p) for p in check["expect"]]
    window = paths[: check["top"]] if "top" in check else paths
    missing = [p for p in expected if p not in window]
    assert not missing, f"{check['query']!r}: missing {missing}"
    if "type" in check:
        assert all(h.type == check["type"] for h in page.hits)
    assert all("<mark>" in h.snippet for h in page.hits[:3])

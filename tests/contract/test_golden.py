"""The demo corpus's expected results (corpus/expected.toml), asked of the backend itself: each
document's queries rank it in the top 3 (on the page its PDF text says), and the acceptance
checks find what they list, within the type asked."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from kb.model import SearchRequest
from tests.conftest import corpus_path

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
EXPECTED = tomllib.loads((CORPUS / "expected.toml").read_text(encoding="utf-8"))
DOCUMENTS = {k: v for k, v in EXPECTED.items() if k != "checks"}
CHECKS = EXPECTED.get("checks", [])


@pytest.mark.parametrize("relative", sorted(DOCUMENTS))
def test_each_query_ranks_its_document_in_the_top_3(backend: Any, relative: str) -> None:
    target = corpus_path(relative)
    queries = DOCUMENTS[relative].get("queries", [])
    assert queries, relative
    for query in queries:
        hits = backend.search(SearchRequest(query, page_size=3, facets=False)).hits
        assert target in [h.path for h in hits], f"{query!r} -> {[h.title for h in hits]}"
    page_query = DOCUMENTS[relative].get("page_queries")
    if page_query:
        hits = backend.search(SearchRequest(page_query["query"], page_size=3, facets=False)).hits
        hit = next(h for h in hits if h.path == target)
        assert hit.page == page_query["page"]
        assert hit.page in hit.pages


@pytest.mark.parametrize("check", CHECKS, ids=[c["query"] + (" | " + c["type"] if "type" in c else "")
                                              for c in CHECKS])
def test_acceptance_checks(backend: Any, check: dict[str, Any]) -> None:
    filters: dict[str, tuple[str, ...]] = {"type": (str(check["type"]),)} if "type" in check else {}
    page = backend.search(SearchRequest(check["query"], filters=filters, page_size=100, facets=False))
    paths = [h.path for h in page.hits]
    window = paths[: check["top"]] if "top" in check else paths
    missing = [p for p in (corpus_path(e) for e in check["expect"]) if p not in window]
    assert not missing, f"{check['query']!r}: missing {missing}"
    if "type" in check:
        assert all(h.type == check["type"] for h in page.hits)
    # Matches are highlighted in the snippets of the best hits.
    assert all("<mark>" in h.snippet for h in page.hits[:3])

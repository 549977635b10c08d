"""Pages cut one ranking (disjoint, in order, the same total on each, the last one short, a page
past the end answered by the last one), results by date (newest first, undated last) or by
entry into the base, and hits that carry their document's metadata."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from kb.model import Groups, SearchRequest
from tests.contract.support import MakeBackend, Record, fill, found_ids

QUERIES = ["", "quartiers", "habitants emploi", '"contrat de ville"', "titre:charte"]


@pytest.mark.parametrize("sort", ["relevance", "date"])
@pytest.mark.parametrize("query", QUERIES)
def test_pages_cut_one_ranking(backend: Any, demo_groups: Groups, query: str, sort: str) -> None:
    full = found_ids(backend, query, sort=sort)
    size = 7 if len(full) > 14 else 2
    assert len(full) > size, query
    last = -(-len(full) // size)
    seen: list[str] = []
    for number in range(1, last + 1):
        page = backend.search(SearchRequest(query, page=number, page_size=size, sort=sort))
        assert (page.total, page.page, page.page_size) == (len(full), number, size)
        assert len(page.hits) == (size if number < last else len(full) - (last - 1) * size)
        seen += [h.id for h in page.hits]
    # The same results in the same order; a group of versions may be shown by another of its
    # members on a page than in the whole list (test_groups.py), but is there once.
    group = demo_groups.leaders
    assert [group.get(i, i) for i in seen] == [group.get(i, i) for i in full]
    assert len(set(seen)) == len(seen)
    # Past the end: the last page (as links to a page that no longer exists expect).
    beyond = backend.search(SearchRequest(query, page=last + 3, page_size=size, sort=sort))
    assert beyond.page == last and [h.id for h in beyond.hits] == seen[(last - 1) * size:]


def test_one_page_of_everything_counts_every_result(ungrouped: Any, records: list[Record]) -> None:
    page = ungrouped.search(SearchRequest("", page_size=len(records) + 5))
    assert page.total == len(page.hits) == len(records) and page.page == 1


@pytest.mark.parametrize("query", QUERIES)
def test_by_date_newest_first_then_undated(ungrouped: Any, records: list[Record], query: str) -> None:
    dates = {doc.id: doc.date for doc, _ in records}
    by_date = found_ids(ungrouped, query, sort="date")
    assert sorted(by_date) == sorted(found_ids(ungrouped, query))
    dated = [d for d in (dates[i] for i in by_date) if d is not None]
    assert dated == sorted(dated, reverse=True)
    assert all(dates[i] is None for i in by_date[len(dated):])


def test_by_date_with_a_filter_and_across_pages(ungrouped: Any, records: list[Record]) -> None:
    years = ("2019", "2023")
    full = found_ids(ungrouped, "", filters={"year": years}, sort="date")
    dates = {doc.id: doc.date or "" for doc, _ in records}
    assert len(full) > 4 and {dates[i][:4] for i in full} == set(years)
    assert [dates[i] for i in full] == sorted((dates[i] for i in full), reverse=True)
    pages = [ungrouped.search(SearchRequest("", filters={"year": years}, sort="date", page=n, page_size=4))
             for n in range(1, -(-len(full) // 4) + 1)]
    assert [h.id for p in pages for h in p.hits] == full


def test_by_entry_into_the_base_newest_first(make_backend: MakeBackend, tmp_path: Path,
        records: list[Record]) -> None:
    # Entry dates unlike the documents' own dates and order, and a document entered last undated.
    shuffled = list(records)
    random.Random(7).shuffle(shuffled)
    entered = [(doc, f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}+00:00") for n, (doc, _) in enumerate(shuffled)]
    made = make_backend(tmp_path / "index")
    try:
        fill(made, entered)
        newest_first = [doc.id for doc, _ in reversed(entered)]
        assert found_ids(made, "", sort="added") == newest_first
        page = made.search(SearchRequest("", sort="added", page=2, page_size=5))
        assert [h.id for h in page.hits] == newest_first[5:10]
        assert [h.added for h in page.hits] == [added for _, added in list(reversed(entered))[5:10]]
    finally:
        made.close()


def test_hits_carry_their_document(ungrouped: Any, records: list[Record]) -> None:
    page = ungrouped.search(SearchRequest("", page_size=len(records)))
    by_id = {h.id: h for h in page.hits}
    for doc, added in records:
        hit = by_id[doc.id]
        assert (hit.title, hit.type, hit.date, hit.path, hit.format) == (doc.title, doc.type, doc.date, doc.path,
                                                                        doc.format)
        assert (hit.themes, hit.collection, hit.added) == (doc.themes, doc.collection, added)
        assert hit.summary == doc.summary and hit.relatives == ()


def test_scores_rank_by_relevance(ungrouped: Any) -> None:
    hits = ungrouped.search(SearchRequest("médiation nocturne", page_size=20)).hits
    assert hits[0].title.startswith("Médiation sociale de soirée")
    assert all(h.score > 0 for h in hits)
    # Identical documents tie, and keep one order from one search to the next.
    again = ungrouped.search(SearchRequest("médiation nocturne", page_size=20)).hits
    assert [h.id for h in again] == [h.id for h in hits]


def test_a_pdf_hit_says_on_which_pages_the_words_are(ungrouped: Any, records: list[Record]) -> None:
    paged = [doc for doc, _ in records if doc.format == "pdf" and len(doc.pages) > 1]
    assert paged
    doc = paged[0]
    first = doc.pages[0].lower()
    word = next(w for w in doc.pages[-1].split() if len(w) > 6 and w.isalpha() and w.lower() not in first)
    hit = next(h for h in ungrouped.search(SearchRequest(word, page_size=100)).hits if h.id == doc.id)
    assert len(doc.pages) in hit.pages and 1 not in hit.pages
    assert hit.page == hit.pages[0]

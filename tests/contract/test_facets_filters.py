"""Facets count the documents found, value by value, and filters keep exactly the documents
holding a value: checked for every facet field against the documents' own metadata, alone, in
combination, with and without words."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from kb.fields import FACET_FIELDS
from kb.model import Document, SearchRequest
from kb.practice import PRACTICE_FACETS
from kb.sectioning import sections_of
from kb.vocabulary import default_vocabulary
from tests.contract.support import Record, found_ids


def values_of(doc: Document, field: str) -> set[str]:
    """The values ``doc`` has for a facet or filter field, as the product defines them."""
    if field in ("organisations", "schemes"):
        bodies, schemes = default_vocabulary().split(doc.organisations)
        return set(bodies if field == "organisations" else schemes)
    if field == "sections":
        return {s.key for s in sections_of(doc)}
    if field in PRACTICE_FACETS:
        return {v.replace(",", " ") for v in doc.practice.get(field, ())}
    if field == "themes":
        return set(doc.themes)
    value = {"year": str(doc.year) if doc.year else None, "collection": doc.collection, "type": doc.type,
             "format": doc.format, "territory": doc.territory, "language": doc.language}[field]
    return {value} if value else set()


def expected_facets(records: list[Record], ids: set[str], field: str) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for doc, _ in records:
        if doc.id in ids:
            counts.update(values_of(doc, field))
    return dict(counts)


def facets_of(page: Any, field: str) -> dict[str, int]:
    return {fv.value: fv.count for fv in page.facets[field]}


def holding(records: list[Record], field: str, values: tuple[str, ...]) -> set[str]:
    """The ids of the documents holding one of ``values`` (an organisations filter also takes
    the dispositifs, as links published before the schemes facet existed expect)."""
    fields = ("organisations", "schemes") if field == "organisations" else (field,)
    return {doc.id for doc, _ in records if any(values_of(doc, f) & set(values) for f in fields)}


@pytest.mark.parametrize("query", ["", "quartiers", "emploi des femmes", "titre:charte"])
def test_facets_count_the_documents_found(ungrouped: Any, records: list[Record], query: str) -> None:
    page = ungrouped.search(SearchRequest(query))
    ids = set(found_ids(ungrouped, query))
    assert page.total == len(ids) > 0
    assert set(page.facets) == set(FACET_FIELDS)
    for field in FACET_FIELDS:
        assert facets_of(page, field) == expected_facets(records, ids, field), (query, field)


def test_facet_values_come_most_frequent_first_and_years_newest_first(ungrouped: Any) -> None:
    page = ungrouped.search(SearchRequest(""))
    for field in FACET_FIELDS:
        shown = [(fv.value, fv.count) for fv in page.facets[field]]
        assert shown, field
        if field == "year":
            assert [v for v, _ in shown] == sorted((v for v, _ in shown), reverse=True)
        else:
            assert shown == sorted(shown, key=lambda vc: (-vc[1], vc[0])), field


def test_a_request_without_facets_has_none(ungrouped: Any) -> None:
    assert ungrouped.search(SearchRequest("quartiers", facets=False)).facets == {}


@pytest.mark.parametrize("field", FACET_FIELDS + ("territory", "language"))
def test_a_filter_keeps_exactly_the_documents_holding_the_value(ungrouped: Any, records: list[Record],
                                                                field: str) -> None:
    counts = Counter(v for doc, _ in records for v in values_of(doc, field))
    assert counts, field
    for value, count in (counts.most_common()[0], counts.most_common()[-1]):
        expected = holding(records, field, (value,))
        page = ungrouped.search(SearchRequest("", filters={field: (value,)}, page_size=100))
        assert {h.id for h in page.hits} == expected, (field, value)
        assert page.total == len(expected)
        if field != "organisations":
            assert page.total == count
        if field in FACET_FIELDS:
            # The filtered field's facet still shows the other values, counted as if unticked.
            assert facets_of(page, field) == facets_of(ungrouped.search(SearchRequest("")), field)
            for other in FACET_FIELDS:
                if other != field:
                    assert facets_of(page, other) == expected_facets(records, expected, other), (field, other)


def test_values_of_one_field_add_up_and_fields_narrow_down(ungrouped: Any, records: list[Record]) -> None:
    charters = set(found_ids(ungrouped, "", filters={"type": ("charte",)}))
    sheets = set(found_ids(ungrouped, "", filters={"type": ("fiche d'expérience",)}))
    either = set(found_ids(ungrouped, "", filters={"type": ("charte", "fiche d'expérience")}))
    assert charters and sheets and either == charters | sheets
    housing = set(found_ids(ungrouped, "", filters={"themes": ("renouvellement urbain et habitat",)}))
    both = found_ids(ungrouped, "", filters={"type": ("charte", "fiche d'expérience"),
                                             "themes": ("renouvellement urbain et habitat",)})
    assert set(both) == either & housing and 0 < len(both) < len(either)
    pdfs = set(found_ids(ungrouped, "", filters={"format": ("pdf",)}))
    three = found_ids(ungrouped, "", filters={"type": ("fiche d'expérience",), "format": ("pdf",),
                                              "themes": ("renouvellement urbain et habitat",)})
    assert set(three) == sheets & pdfs & housing != set()


def test_a_filter_narrows_the_words_found(ungrouped: Any) -> None:
    words = set(found_ids(ungrouped, "habitants"))
    sheets = set(found_ids(ungrouped, "", filters={"type": ("fiche d'expérience",)}))
    filtered = ungrouped.search(SearchRequest("habitants", filters={"type": ("fiche d'expérience",)}, page_size=100))
    assert {h.id for h in filtered.hits} == words & sheets
    assert filtered.total == len(words & sheets) < len(words)
    assert sum(fv.count for fv in filtered.facets["format"]) == filtered.total


def test_a_section_filter_searches_the_words_in_that_section(ungrouped: Any) -> None:
    within = ungrouped.search(SearchRequest("femmes", filters={"sections": ("resultats",)}, page_size=100))
    assert {h.id for h in within.hits} == set(found_ids(ungrouped, "resultats:femmes"))
    # Not merely the sheets that have such a section and hold the word elsewhere.
    having = set(found_ids(ungrouped, "", filters={"sections": ("resultats",)}))
    assert 0 < within.total < len(having & set(found_ids(ungrouped, "femmes")))


def test_a_value_held_by_no_document_finds_nothing(ungrouped: Any) -> None:
    page = ungrouped.search(SearchRequest("", filters={"themes": ("astronomie",)}))
    assert page.total == 0 and page.hits == ()


def test_an_organisations_filter_also_takes_the_dispositifs(ungrouped: Any, records: list[Record]) -> None:
    # Links published before the schemes facet existed (?org=QPV) keep finding the same documents.
    qpv = holding(records, "schemes", ("QPV",))
    assert qpv and not holding(records, "organisations", ("QPV",)) - qpv
    assert set(found_ids(ungrouped, "", filters={"organisations": ("QPV",)})) == qpv
    assert set(found_ids(ungrouped, "", filters={"schemes": ("QPV",)})) == qpv

"""What each shape of query finds, checked against the other shapes and against the documents
themselves (analysed by the core's French analysis): any words, all words, either word, a
phrase, a field (``titre:``, a practice-sheet section), an exclusion, accents, capitals and
elisions, a prefix, and the empty query that lists everything."""

from __future__ import annotations

from typing import Any

import pytest

from kb.analysis import Analyzer, fold, words
from kb.sectioning import sections_of
from tests.contract.support import Record, found_ids

ANALYZER = Analyzer()


def _term(word: str) -> str:
    term = ANALYZER.term(word)
    assert term is not None, word
    return term


def test_words_side_by_side_find_either_and_rank_those_with_all_first(ungrouped: Any) -> None:
    velo, ecole = set(found_ids(ungrouped, "vélo")), set(found_ids(ungrouped, "école"))
    both = found_ids(ungrouped, "vélo école")
    assert velo - ecole and ecole - velo and velo & ecole  # the query tells the three shapes apart
    assert set(both) == velo | ecole and len(both) == len(set(both))
    assert set(both[: len(velo & ecole)]) == velo & ecole


def test_and_requires_every_word_or_accepts_either(ungrouped: Any) -> None:
    velo, ecole = set(found_ids(ungrouped, "vélo")), set(found_ids(ungrouped, "école"))
    assert set(found_ids(ungrouped, "vélo ET école")) == set(found_ids(ungrouped, "vélo AND école")) == velo & ecole
    assert set(found_ids(ungrouped, "vélo OU école")) == set(found_ids(ungrouped, "vélo OR école")) == velo | ecole


def test_a_phrase_needs_its_words_in_order(ungrouped: Any, records: list[Record]) -> None:
    phrase = found_ids(ungrouped, '"école pour les femmes"')
    assert phrase and set(phrase) <= set(found_ids(ungrouped, "école ET femmes"))
    texts = {doc.id: " ".join((doc.title + " " + doc.text).split()).lower() for doc, _ in records}
    assert all("école pour les femmes" in texts[i] for i in phrase)
    assert found_ids(ungrouped, '"femmes pour les école"') == []


@pytest.mark.parametrize("word", ["femmes", "quartier", "santé"])
def test_a_title_field_finds_exactly_the_titles_holding_the_word(ungrouped: Any, records: list[Record],
                                                                 word: str) -> None:
    expected = {doc.id for doc, _ in records if _term(word) in ANALYZER.terms(doc.title)}
    assert expected
    assert set(found_ids(ungrouped, f"titre:{word}")) == expected


@pytest.mark.parametrize("word", ["femmes", "habitants"])
def test_a_section_field_finds_the_word_in_that_section_only(ungrouped: Any, records: list[Record],
                                                             word: str) -> None:
    expected = {doc.id for doc, _ in records for s in sections_of(doc)
                if s.key == "resultats" and _term(word) in ANALYZER.terms(doc.text[s.start:s.end])}
    anywhere = set(found_ids(ungrouped, word))
    assert expected and expected < anywhere
    assert set(found_ids(ungrouped, f"resultats:{word}")) == expected


@pytest.mark.parametrize("query", ["habitants -participation", "habitants SAUF participation",
                                   "habitants NOT participation"])
def test_an_excluded_word_removes_its_documents(ungrouped: Any, query: str) -> None:
    habitants, participation = set(found_ids(ungrouped, "habitants")), set(found_ids(ungrouped, "participation"))
    assert habitants - participation and habitants & participation
    assert set(found_ids(ungrouped, query)) == habitants - participation


@pytest.mark.parametrize(("typed", "written"), [("velo ecole", "vélo école"), ("VÉLO ÉCOLE", "vélo école"),
                                                ("l'école", "école"), ("d’habitants", "habitants"),
                                                ("jardin", "jardins")])
def test_accents_capitals_elisions_and_plurals_do_not_matter(ungrouped: Any, typed: str, written: str) -> None:
    assert found_ids(ungrouped, written)
    assert found_ids(ungrouped, typed) == found_ids(ungrouped, written)


def test_a_prefix_finds_every_word_it_starts(ungrouped: Any, records: list[Record]) -> None:
    expected = {doc.id for doc, _ in records
                if any(fold(w).startswith("particip") for w in words(" ".join((doc.title, doc.summary, doc.text))))}
    assert set(found_ids(ungrouped, "participation")) < expected
    assert set(found_ids(ungrouped, "particip*")) == expected


def test_the_empty_query_lists_every_document(ungrouped: Any, records: list[Record]) -> None:
    assert sorted(found_ids(ungrouped, "")) == sorted(doc.id for doc, _ in records)


def test_a_word_found_nowhere_finds_nothing(ungrouped: Any) -> None:
    assert found_ids(ungrouped, "xylophonique") == []

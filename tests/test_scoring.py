"""Scores computed our own way must be Whoosh's: the BM25F scorer that reads cached lengths,
and the bonus scored at the best matches only (phrases checked at each candidate instead of
Whoosh's scan). Checked on the demo corpus indexed in several segments."""

from __future__ import annotations

import pytest
from whoosh import scoring

from kb import querysyntax as qs
from kb.knowledgebase import KnowledgeBase
from kb.whoosh_backend.matching import matched_docs, scores_of
from tests.conftest import SCORING_QUERIES

QUERIES = SCORING_QUERIES


@pytest.fixture(scope="module")
def base(segmented_demo: KnowledgeBase) -> KnowledgeBase:
    return segmented_demo


def test_the_base_has_several_segments(base: KnowledgeBase) -> None:
    with base.index.searcher() as s:
        assert len(s.leaf_searchers()) >= 2


@pytest.mark.parametrize("text", QUERIES)
def test_bonus_scores_of_candidates_are_whooshs(base: KnowledgeBase, text: str) -> None:
    index = base.index
    with index.searcher() as s:
        built = index.builder.build(qs.parse(text), index._labels_reader(s))
        assert built.bonus is not None
        expected = {hit.docnum: hit.score for hit in s.search(built.bonus, limit=None)}
        assert expected, f"the bonus of {text!r} matches nothing in the demo corpus"
        everything = list(range(s.doc_count_all()))
        for candidates in (everything, everything[::3]):
            ours = scores_of(s, built.bonus, candidates)
            wanted = {d: score for d, score in expected.items() if d in set(candidates)}
            assert ours.keys() == wanted.keys()
            for d, score in wanted.items():
                assert ours[d] == pytest.approx(score, rel=1e-12)


@pytest.mark.parametrize("text", QUERIES)
def test_cached_bm25f_scores_like_whooshs(base: KnowledgeBase, text: str) -> None:
    index = base.index
    with index.searcher() as s:
        query = index.builder.build(qs.parse(text), index._labels_reader(s)).query
        ours = {hit.docnum: hit.score for hit in s.search(query, limit=None)}
        with index._ix.searcher(weighting=scoring.BM25F()) as plain:  # Whoosh's own scorer
            theirs = {hit.docnum: hit.score for hit in plain.search(query, limit=None)}
    assert ours and ours.keys() == theirs.keys()
    for d, score in theirs.items():
        assert ours[d] == pytest.approx(score, rel=1e-12)


# Every query shape the builder makes: words (any of them), explicit AND, OR, NOT, phrases,
# prefixes, fields, synonyms, a question.
MATCH_QUERIES = QUERIES + ["santé ET logement", "santé OU éducation", "santé SAUF mentale", "-mentale santé",
                           '"conseil citoyen" jeunes', "particip*", "titre:charte", "type:charte habitants",
                           "Peut-on financer un poste d'adulte-relais avec le FIPD ?", "zzzqqq"]


@pytest.mark.parametrize("text", MATCH_QUERIES)
def test_matches_read_as_posting_sets_are_whooshs(base: KnowledgeBase, text: str) -> None:
    index = base.index
    some = sorted(index.ids())[:5]
    base.remove(some[:2])  # deleted documents stay in their segment until a merge
    with index.searcher() as s:
        built = index.builder.build(qs.parse(text), index._labels_reader(s))
        whooshs = {hit.docnum for hit in s.search(built.query, limit=None)}
        ours = {offset + d for _, offset, ids in matched_docs(s, built.query, None) for d in ids}
        assert ours == whooshs
        years = index.builder.filters({"year": ("2019", "2023")}, index._labels_reader(s))
        whooshs = {hit.docnum for hit in s.search(built.query, limit=None, filter=years)}
        ours = {offset + d for _, offset, ids in matched_docs(s, built.query, years) for d in ids}
        assert ours == whooshs


@pytest.mark.parametrize("text", QUERIES + ["santé éducation jeunes emploi logement", "partcipation citoyenne"])
def test_words_scored_in_bulk_score_like_whoosh(base: KnowledgeBase, text: str) -> None:
    from kb.whoosh_backend.scoring import accumulate, clause_terms

    index = base.index
    base.remove(sorted(index.ids())[:2])  # deleted documents must not be counted
    with index.searcher() as s:
        built = index.builder.build(qs.parse(text), index._labels_reader(s))
        plain = clause_terms(built.clauses)
        if plain is None:  # a synonym expanded to a phrase: scored by Whoosh's matchers
            assert any("Phrase" in repr(c) for c in built.clauses)
            return
        assert built.only_clauses
        whooshs = {hit.docnum: hit.score for hit in s.search(built.query, limit=None)}
        found = accumulate(s, plain, index._lengths, s.weighting, lambda seg: None)
        ours = {part.offset + int(d): float(score) for part in found
                for d, score in zip(part.ids, part.scores, strict=True)}
        assert ours.keys() == whooshs.keys()
        for d, score in whooshs.items():
            assert ours[d] == pytest.approx(score, rel=1e-9)
        held = {part.offset + int(d): int(h) for part in found for d, h in zip(part.ids, part.held, strict=True)}
        counts = {d: sum(d in {h.docnum for h in s.search(c, limit=None)} for c in built.clauses) for d in ours}
        assert held == counts



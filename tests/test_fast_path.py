"""Words typed side by side are scored with numpy over whole decoded posting lists
(``kb.whoosh_backend.scoring``); the result must be what Whoosh's own matchers and scorer give:
the same count, page, order and facets. Checked on the demo corpus indexed in several segments,
with deleted documents."""

from __future__ import annotations

import pytest

from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest
from tests.conftest import SCORING_QUERIES

QUERIES = SCORING_QUERIES


@pytest.fixture(scope="module")
def base(segmented_demo: KnowledgeBase) -> KnowledgeBase:
    kb = segmented_demo
    kb.remove(sorted(kb.index.ids())[:2])  # deleted documents stay in their segment until a merge
    with kb.index.searcher() as s:
        assert len(s.leaf_searchers()) >= 2 and s.reader().has_deletions()
    return kb


# Words side by side, questions, a typo, filters, pages and date order: every shape the numpy
# path serves, on a base of several segments with deleted documents.
FAST_REQUESTS = [(text, {}, 1, "relevance") for text in QUERIES + ["santé éducation jeunes emploi logement",
                                                                   "partcipation citoyenne",
                                                                   "Comment associer les habitants au projet ?"]] + [
    ("habitants", {"type": ("charte",)}, 1, "relevance"),
    ("conseil citoyen quartier", {"year": ("2021", "2022", "2023")}, 1, "relevance"),
    ("habitants quartier", {}, 2, "relevance"),
    ("habitants quartier", {}, 1, "date"),
    # Quoted phrases: matched and scored from the decoded lists (positions of the documents
    # holding every word).
    ('"conseil citoyen"', {}, 1, "relevance"),
    ('"renouvellement urbain"', {}, 2, "relevance"),
    ('"conseil citoyen"', {"type": ("charte",)}, 1, "relevance"),
    ('"politique de la ville"', {}, 1, "date"),
    ('"jardins partagés"', {}, 1, "relevance"),
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


@pytest.mark.parametrize("word", ["partcipation", "habitnats", "quartir", "renouvelement", "jeunse", "cite"])
def test_spelling_candidates_are_those_of_a_full_scan(base: KnowledgeBase, word: str) -> None:
    """The words within reach of a misspelling, from each segment's words of one first letter
    grouped by length and kept: the same as a scan of every word of every segment's list
    with Whoosh's own edit distance."""
    from whoosh.support.levenshtein import distance

    from kb.whoosh_backend.internals.wordlists import read_words
    from kb.whoosh_backend.wordlists import within

    with base.index.searcher() as s:
        assert len(s.leaf_searchers()) >= 2
        maxdist = 1 if len(word) <= 5 else 2
        listed = {w for segment_searcher, _ in s.leaf_searchers()
                  for w, _, _ in read_words(segment_searcher.reader()).entries()}
        theirs = {w for w in listed if w[:1] == word[:1] and distance(w, word) <= maxdist}
        assert within(s, word, maxdist) == theirs
        assert within(s, word, maxdist) == theirs  # from the kept lists
    assert theirs or word == "cite", f"nothing within reach of {word!r}: the test would check nothing"


@pytest.mark.parametrize("text", QUERIES + ["Comment associer les habitants au projet de renouvellement urbain ?"])
def test_bonus_scored_from_decoded_lists_is_whooshs(base: KnowledgeBase, text: str) -> None:
    """Words close together and words in headings and summary, scored at chosen documents
    from the decoded lists (positions read from the blocks that hold them): Whoosh's scores,
    and every part of the bonus is scored this way (none left to Whoosh's matchers)."""
    from whoosh import query as wq

    from kb import querysyntax as qs
    from kb.whoosh_backend.bonus import BonusScorer

    index = base.index
    scorer = BonusScorer(index._lengths, index._postings)
    with index.searcher() as s:
        built = index.builder.build(qs.parse(text), index._labels_reader(s))
        assert built.bonus is not None
        expected = {hit.docnum: hit.score for hit in s.search(built.bonus, limit=None)}
        assert expected, f"the bonus of {text!r} matches nothing in the demo corpus"
        parts = list(built.bonus.subqueries) if isinstance(built.bonus, wq.Or) else [built.bonus]
        # The best matches never include a deleted document: neither do the candidates here.
        everything = [d for d in range(s.doc_count_all()) if not s.reader().is_deleted(d)]
        for part in parts:
            assert scorer._whole_part(s, part, scorer.segments(s, everything), s.weighting) is not None, part
        for candidates in (everything, everything[::3]):
            ours = scorer.scores(s, built.bonus, candidates)
            wanted = {d: score for d, score in expected.items() if d in set(candidates)}
            assert ours.keys() == wanted.keys()
            for d, score in wanted.items():
                assert ours[d] == pytest.approx(score, rel=1e-9)


@pytest.mark.parametrize("text", ["QPV", "l'ANCT et les quartiers prioritaires", "CGET politique de la ville"])
def test_acronym_phrases_are_scored_from_decoded_lists_as_whoosh(base: KnowledgeBase, text: str) -> None:
    """An acronym's expansions are phrases inside a clause: they are matched and scored from the
    decoded lists (positions read for the documents holding every word), giving in every
    segment the documents and scores of Whoosh's phrase matcher."""
    from kb import querysyntax as qs
    from kb.whoosh_backend.internals.postings import deleted_docs
    from kb.whoosh_backend.scoring import _matcher_scores, clause_terms, phrase_at, plain_phrase

    index = base.index
    with index.searcher() as s:
        built = index.builder.build(qs.parse(text), index._labels_reader(s))
        plain = clause_terms(built.clauses)
        assert plain is not None, "clauses with phrases are no longer scored by the numpy path"
        phrases = [t for terms in plain for t in terms if plain_phrase(t)]
        assert phrases, f"{text!r} has no acronym expansion: the test would check nothing"
        matched = 0
        for segment_searcher, _ in s.leaf_searchers():
            for phrase in phrases:
                ours = phrase_at(s, segment_searcher, phrase, index._lengths, s.weighting, index._postings)
                assert ours is not None, f"{phrase} fell back to Whoosh's matcher"
                ids, scores = _matcher_scores(s, segment_searcher, phrase)
                # Whoosh's matcher skips deleted documents; the arrays hold them (the caller drops them).
                deleted = deleted_docs(segment_searcher.reader())
                kept = [i for i, d in enumerate(ours[0].tolist()) if d not in deleted]
                assert ours[0][kept].tolist() == ids.tolist(), phrase
                assert ours[1][kept].tolist() == pytest.approx(scores.tolist(), rel=1e-12)
                matched += len(ids)
        assert matched, f"no expansion of {text!r} is in the demo corpus: the test would check nothing"


@pytest.mark.parametrize("text", ["habitants quartier", "QPV", "l'ANCT et les quartiers prioritaires",
                                  "conseil citoyen jeunes emploi"])
def test_a_few_allowed_documents_are_scored_alone_as_in_the_whole_lists(base: KnowledgeBase, text: str,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """When few documents are allowed (similar documents' candidates, a rare filter value),
    each list is searched for them instead of scored whole: the same documents, scores and
    clauses held as scoring the whole lists and keeping those documents."""
    import numpy as np

    from kb import querysyntax as qs
    from kb.whoosh_backend import scoring

    index = base.index
    with index.searcher() as s:
        built = index.builder.build(qs.parse(text), index._labels_reader(s))
        clauses = scoring.clause_terms(built.clauses)
        assert clauses is not None
        shares = {id(seg): np.arange(0, seg.doc_count_all(), 3, dtype=np.int64) for seg, _ in s.leaf_searchers()}

        def allowed(seg: object) -> np.ndarray:
            return shares[id(seg)]

        runs = []
        for few in (0, 10**9):  # never alone, always alone
            monkeypatch.setattr(scoring, "_FEW", few)
            runs.append(scoring.accumulate(s, clauses, index._lengths, s.weighting, allowed, index._postings))
        whole, alone = runs
        assert sum(len(part.ids) for part in whole) > 0, f"{text!r} matches none of the allowed documents"
        for a, b in zip(whole, alone, strict=True):
            assert a.ids.tolist() == b.ids.tolist()
            assert a.scores.tolist() == b.scores.tolist()
            assert a.held.tolist() == b.held.tolist()


def test_quoted_phrases_take_the_decoded_lists(base: KnowledgeBase) -> None:
    """A quoted phrase is read from the decoded lists, not left to Whoosh's matchers (the
    pages are compared with those of the matchers above)."""
    from kb import querysyntax as qs
    from kb.whoosh_backend.finding import quoted_phrase
    from kb.whoosh_backend.scoring import phrase_at

    index = base.index
    with index.searcher() as s:
        built = index.builder.build(qs.parse('"conseil citoyen"'), index._labels_reader(s))
        phrases = quoted_phrase(built.query)
        assert phrases is not None, f"the query builder's phrase changed shape: {built.query}"
        found = [phrase_at(s, segment_searcher, phrase, index._lengths, s.weighting, index._postings)
                 for segment_searcher, _ in s.leaf_searchers() for phrase in phrases]
        assert None not in found and sum(len(ids) for ids, _ in found) > 0


def test_spans_match_as_whooshs_near() -> None:
    from kb.whoosh_backend.scoring import spans_match

    assert spans_match([[3], [4]], 1) and not spans_match([[4], [3]], 1)  # in order only
    assert spans_match([[3], [6]], 3) and not spans_match([[3], [7]], 3)  # within the slop
    assert not spans_match([[3], [3]], 3)  # the same position is no phrase
    assert spans_match([[1, 10], [12], [13]], 3) and not spans_match([[1], [5], [6]], 3)


def test_similar_documents_are_the_reference_paths(base: KnowledgeBase) -> None:
    """Similar documents scored over whole posting lists: the same documents, order and scores
    as Whoosh's union and matchers, for every document of the base."""
    from kb.whoosh_backend.similar import similar_in

    index = base.index
    compared = 0
    with index.searcher() as s:
        for doc_id in sorted(index.ids()):
            ours = similar_in(s, index.analyzer, doc_id, 5, index._lengths, index._postings)
            again = similar_in(s, index.analyzer, doc_id, 5, index._lengths, index._postings)  # kept lists
            reference = similar_in(s, index.analyzer, doc_id, 5)
            assert [d for d, _ in ours] == [d for d, _ in reference] == [d for d, _ in again], doc_id
            assert [sc for _, sc in ours] == pytest.approx([sc for _, sc in reference], abs=1e-9)
            compared += bool(reference)
    assert compared > 20, "most documents have similar ones: the comparison checks something"


def test_key_terms_are_whooshs_with_frequencies_kept(base: KnowledgeBase) -> None:
    """A document page's key terms weighed from kept collection frequencies: exactly Whoosh's
    Bo1 expander's terms, weights and order, first from the segments, then from the cache."""
    from kb.whoosh_backend.caches import Frequencies
    from kb.whoosh_backend.similar import key_terms

    frequencies = Frequencies()
    compared = 0
    with base.index.searcher() as s:
        for docnum in range(0, s.doc_count_all(), 3):
            if not s.ixreader.is_deleted(docnum):
                text = s.stored_fields(docnum).get("body", "")
                reference = s.key_terms_from_text("body", text, numterms=40)
                assert key_terms(s, "body", text, 40, frequencies) == reference
                assert key_terms(s, "body", text, 40, frequencies) == reference
                compared += len(reference) == 40
    assert compared > 10 and len(frequencies) > 1000

"""Relevance: spelling suggestions and corrections, similar documents, and the evaluation
module of bench/relevance (its metrics on hand-made rankings, its judged query set)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SHARED, require_shared

from bench.relevance import metrics
from bench.relevance.judgments import CATEGORIES, Query, load_queries, load_similar
from bench.relevance.run import evaluate, evaluate_similar
from indexer.ingest import Options, index_paths
from kb.cli import main
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "corpus" / "documents"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("relevance") / "home"
    with KnowledgeBase(home) as kb:
        assert index_paths(kb, [DEMO], Options()).failed == []
        yield kb


def search(kb: KnowledgeBase, query: str, size: int = 10):
    return kb.search(SearchRequest(query, page_size=size, facets=False))


# -- did you mean ---------------------------------------------------------------------------

@pytest.mark.parametrize("typed, expected", [
    ("partcipation", "participation"),
    ("renouvelement", "renouvellement"),
    ("educaton", "éducation"),
    ("partcipation citoyenne", "participation citoyenne"),
    ("discrimnation embauche", "discrimination embauche"),
    ("entreprenariat", "entrepreneuriat"),
])
def test_misspelt_words_get_the_indexed_spelling(demo: KnowledgeBase, typed: str, expected: str) -> None:
    assert search(demo, typed).suggestion == expected


def test_a_query_matching_nothing_is_searched_corrected(demo: KnowledgeBase) -> None:
    page = search(demo, "partcipation")
    assert page.corrected == "participation"
    assert page.total > 0 and not page.relaxed
    titles = [h.title for h in page.hits[:3]]
    assert any("participation des habitants" in t for t in titles), titles
    assert "<mark>" in page.hits[0].snippet


def test_a_misspelt_word_is_corrected_whatever_the_number_of_results(demo: KnowledgeBase) -> None:
    # "quartier" alone finds many documents: the misspelt word beside it is corrected all the same.
    page = search(demo, "renouvelement urbain quartier")
    assert page.total > 10
    assert page.suggestion == page.corrected == "renouvellement urbain quartier"
    # The corrected word was searched: it is highlighted in the first results.
    assert any("<mark>renouvellement</mark>" in h.snippet.lower() for h in page.hits[:3])


@pytest.mark.parametrize("query", ["participation des habitants", "relogements", "sante mentale", "QPV"])
def test_known_words_and_inflections_get_no_suggestion(demo: KnowledgeBase, query: str) -> None:
    page = search(demo, query)
    assert page.suggestion is None and page.corrected is None


def test_gibberish_gets_no_correction(demo: KnowledgeBase) -> None:
    page = search(demo, "xqzwvbk")
    assert page.total == 0 and page.suggestion is None and page.corrected is None


def test_cli_reports_suggestion_and_correction(demo: KnowledgeBase) -> None:
    runner = CliRunner()
    out = runner.invoke(main, ["--home", str(demo.home), "search", "partcipation"])
    assert out.exit_code == 0, out.output
    assert "Orthographe corrigée : résultats pour « partcipation » et pour « participation »" in out.output
    out = runner.invoke(main, ["--home", str(demo.home), "search", "--json", "educaton"])
    data = json.loads(out.output)
    assert data["suggestion"] == data["corrected"] == "éducation" and data["total"] > 0


# -- query analysis -------------------------------------------------------------------------

def test_questions_are_searched_by_their_topic_words(demo: KnowledgeBase) -> None:
    page = search(demo, "comment lutter contre le décrochage scolaire ?", 3)
    assert not page.relaxed and page.total > 0  # "comment" is not required
    assert any(h.path.endswith("fiche-cite-educative-bellevue-sud.docx") for h in page.hits[:2])


def test_a_page_missing_some_words_of_a_question_is_still_found(demo: KnowledgeBase) -> None:
    # No document holds "ornithologie", "budget" and "participatif" together: the pages about
    # the participatory budget are found and ranked anyway (the old all-words rule dropped them).
    page = search(demo, "budget participatif ornithologie", 5)
    assert page.total > 0 and page.relaxed
    assert page.hits[0].path.endswith("fiche-participation-habitants-budget-clos-fleuri.docx")


def test_short_keyword_queries_list_documents_with_all_words_first(demo: KnowledgeBase) -> None:
    page = search(demo, "santé jeunes", 50)
    with_both = [h for h in page.hits if "santé" in demo.document(h.id).text.lower()
                 and "jeune" in demo.document(h.id).text.lower()]
    assert 0 < len(with_both) < page.total
    assert [h.id for h in page.hits[: len(with_both)]] == [h.id for h in with_both]


def test_natural_punctuation_is_not_syntax(demo: KnowledgeBase) -> None:
    # Parentheses, "etc." and "..." used as in a sentence: no sub-group required, no zero result.
    page = search(demo, "Comment recruter des médiateurs (adultes-relais, correspondants de nuit...) etc. ?", 5)
    assert page.total > 0
    assert page.hits[0].path.endswith("fiche-mediation-nocturne-sabliere.txt")


@pytest.mark.parametrize("query, every_hit_has", [
    ('"budget participatif" santé', ["budget", "participati"]),  # stems: "budgets participatifs" too
    ("santé ET logement", ["santé", "logement"]),
    ("titre:charte habitants", []),
])
def test_explicit_operators_stay_strict(demo: KnowledgeBase, query: str, every_hit_has: list[str]) -> None:
    page = search(demo, query, 100)
    assert page.total > 0
    loose = search(demo, query.replace('"', "").replace(" ET ", " ").replace("titre:", ""), 100)
    assert page.total < loose.total  # the operator restricts; the same words typed plainly do not
    for hit in page.hits:
        text = demo.document(hit.id).text.lower()
        assert all(w in text for w in every_hit_has), (query, hit.title)
        if query.startswith("titre:"):
            assert "charte" in hit.title.lower()


def test_negation_excludes(demo: KnowledgeBase) -> None:
    page = search(demo, "santé SAUF mentale", 100)
    assert page.total > 0
    assert all("mentale" not in demo.document(h.id).text.lower() for h in page.hits)


def test_ete_is_a_word_not_a_stop_word(demo: KnowledgeBase) -> None:
    page = search(demo, '"Quartiers d\'été"', 1)
    assert page.hits[0].path.endswith("actu-quartiers-ete-2021.html")


# -- similar documents ----------------------------------------------------------------------

def test_similar_documents_share_the_topic_not_the_town(demo: KnowledgeBase) -> None:
    doc = demo.document(str(DEMO / "fiches-experience" / "fiche-asv-sante-mentale-champ-vert.pdf"))
    similar = demo.similar(doc.id, 3)
    paths = [h.path for h in similar]
    assert doc.path not in paths
    assert any(p.endswith("cr-seminaire-sante-mentale-2022.docx") for p in paths), paths
    # The other Champ-Vert sheet (women's employment) shares the place, not the subject.
    assert not any(p.endswith("fiche-egalite-femmes-emploi-champ-vert.md") for p in paths), paths


def test_similar_documents_of_real_legal_articles(tmp_path: Path) -> None:
    """Code civil, book II: property (titre II), usufruct (III), easements (IV). The articles
    suggested for an usufruct or easement article are mostly of its own title."""
    civil = require_shared(SHARED / "corpora" / "french-docs" / "code-civil")
    src = tmp_path / "articles"
    src.mkdir()
    for path in civil.glob("Livre II__Titre I*__Article *.md"):
        shutil.copy(path, src / path.name)
    with KnowledgeBase(tmp_path / "home") as kb:
        assert index_paths(kb, [src], Options(workers=2)).failed == []
        for title in ("Titre III", "Titre IV"):
            entries = [e for e in kb.known_files() if f"__{title}__" in e.path]
            assert len(entries) > 50
            shares = []
            for entry in entries:
                got = [h.path for h in kb.similar(entry.id, 3)]
                assert entry.path not in got and len(got) == 3
                shares.append(sum(f"__{title}__" in p for p in got) / 3)
            # A third of the articles are of each title: picking at random would give ~0.33.
            assert sum(shares) / len(shares) >= 0.6, (title, sum(shares) / len(shares))


def test_kb_show_lists_similar_documents(demo: KnowledgeBase) -> None:
    runner = CliRunner()
    ref = str(DEMO / "cadres-de-reference" / "cadre-reference-centres-ressources-2017.odt")
    out = runner.invoke(main, ["--home", str(demo.home), "show", "--json", ref])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["similar"] and all(set(s) == {"id", "title"} for s in data["similar"])
    assert data["id"] not in [s["id"] for s in data["similar"]]
    text = runner.invoke(main, ["--home", str(demo.home), "show", ref]).output
    assert "Documents similaires" in text and data["similar"][0]["title"] in text


# -- the evaluation module ------------------------------------------------------------------

def test_metrics_on_a_hand_made_ranking() -> None:
    judged = {"a": 3, "b": 2, "c": 1}
    assert metrics.ndcg(["a", "b", "c"], judged) == pytest.approx(1.0)
    # b (gain 3) at rank 1, x (0) at 2, a (gain 7) at 3; ideal: 7, 3, 1 at ranks 1-3.
    dcg = 3 / math.log2(2) + 7 / math.log2(4)
    ideal = 7 / math.log2(2) + 3 / math.log2(3) + 1 / math.log2(4)
    assert metrics.ndcg(["b", "x", "a"], judged) == pytest.approx(dcg / ideal)
    assert metrics.ndcg(["a"], judged, k=1) == pytest.approx(1.0)
    assert metrics.reciprocal_rank(["x", "c", "b"], judged) == pytest.approx(1 / 3)  # c is only marginal
    assert metrics.reciprocal_rank(["x"], judged) == 0.0
    assert metrics.recall(["b", "x"], judged, 20) == pytest.approx(0.5)
    assert metrics.recall(["x", "y", "a"], judged, 2) == 0.0
    assert metrics.precision(["a", "q"], {"a", "b"}, 3) == pytest.approx(1 / 3)


def test_evaluate_means_per_collection_and_category() -> None:
    queries = [
        Query("q1", "one", "keyword", {"demo": {"a": 3}, "shared": {}}),
        Query("q2", "two", "acronym", {"demo": {"b": 2}, "shared": {"z": 3}}),
        Query("q3", "three", "keyword", {"demo": {"c": 1}, "shared": {}}),  # nothing >= 2: skipped
    ]
    runs = {"one": ["a"], "two": ["x", "b"], "three": ["c"]}

    def rank(system: str, coll: str, text: str) -> list[str]:
        return runs[text] if system == "good" and coll == "demo" else []

    result = evaluate(queries, rank, ["demo", "shared"], systems=("good", "empty"))
    assert [(r["id"], r["collection"]) for r in result["per_query"]] == [("q1", "demo"), ("q2", "demo"),
                                                                          ("q2", "shared")]
    s = result["summary"]
    assert s["demo"]["good"]["mrr"] == pytest.approx((1 + 0.5) / 2, abs=1e-4)  # rounded to 4 places
    assert s["overall"]["good"]["recall@20"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["category:acronym"]["good"]["n"] == 2
    assert s["overall"]["empty"]["ndcg@10"] == 0.0

    sim = evaluate_similar(load_similar()[:1], lambda system, coll, doc: [doc, "other"], systems=("s",))
    assert sim["per_case"][0]["s"]["top3"] == ["other"]  # the document itself never counts


def test_judged_query_set_is_complete_and_valid() -> None:
    queries = load_queries()
    assert len(queries) >= 60
    assert {q.category for q in queries} == set(CATEGORIES)
    roots = {"demo": DEMO, "shared": SHARED / "corpora" / "french-docs"}
    for coll in ("demo", "shared"):
        assert sum(any(g >= 2 for g in q.judgments[coll].values()) for q in queries) >= 25
    for q in queries:
        for coll, grades in q.judgments.items():
            if coll == "shared" and not roots["shared"].exists():
                continue
            missing = [p for p in grades if not (roots[coll] / p).is_file()]
            assert not missing, (q.id, missing)

"""French analysis: each known trap, on real French words."""

from __future__ import annotations

import pytest
from whoosh.lang.stopwords import stoplists

from kb.analysis import STOP_WORDS, Analyzer, fold, stem, topical, words


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def test_accents_fold_before_stemming(analyzer: Analyzer) -> None:
    # Stem-then-fold would give "indemn" for the accented word but "indemnit" for the typed one.
    assert analyzer.terms("sécurité") == analyzer.terms("securite")
    assert analyzer.terms("indemnité") == analyzer.terms("indemnite")
    assert analyzer.terms("Égalité") == analyzer.terms("egalite")


def test_ligatures_fold(analyzer: Analyzer) -> None:
    assert fold("Œuvre") == "oeuvre"
    assert analyzer.terms("œuvre") == analyzer.terms("oeuvre")
    assert analyzer.terms("cœur") == analyzer.terms("coeur")
    assert analyzer.terms("curriculum vitæ") == analyzer.terms("curriculum vitae")


@pytest.mark.parametrize("text", ["l'expérience", "l’expérience", "L’EXPÉRIENCE"])
def test_both_apostrophes_split_elisions(analyzer: Analyzer, text: str) -> None:
    assert analyzer.terms(text) == analyzer.terms("expérience")


def test_elided_words_are_dropped(analyzer: Analyzer) -> None:
    assert analyzer.terms("qu’il s'agit d'habitants jusqu'au bout") == analyzer.terms("il agit habitants au bout")


def test_les_is_a_stop_word_unlike_whoosh_list(analyzer: Analyzer) -> None:
    assert "les" not in stoplists["fr"]  # the trap this guards against
    assert "les" in STOP_WORDS
    assert analyzer.terms("les quartiers") == analyzer.terms("quartiers")


def test_snowball_over_stemming_is_overridden(analyzer: Analyzer) -> None:
    assert stem("habitants") == stem("habitant") == stem("habitante")
    assert stem("habitants") != stem("habits")


def test_plurals_and_derivations_conflate(analyzer: Analyzer) -> None:
    assert analyzer.terms("quartiers prioritaires") == analyzer.terms("quartier prioritaire")
    assert analyzer.terms("économie") == analyzer.terms("économique")
    assert analyzer.terms("travaux") == analyzer.terms("travail")


def test_dotted_acronyms_join(analyzer: Analyzer) -> None:
    assert analyzer.terms("Q.P.V.") == analyzer.terms("QPV") == ["qpv"]


def test_offsets_point_into_original_text(analyzer: Analyzer) -> None:
    text = "Les habitants d’Œuvre-Neuve"
    spans = [(t.term, text[t.start:t.end]) for t in analyzer.tokens(text)]
    assert spans == [("habitant", "habitants"), (stem("oeuvre"), "Œuvre"), (stem("neuve"), "Neuve")]


def test_positions_are_consecutive(analyzer: Analyzer) -> None:
    assert [t.pos for t in analyzer.tokens("la participation des habitants du quartier")] == [0, 1, 2]


# Examples of the relevance issue, then our own: accented endings, plurals Snowball leaves
# apart, feminine forms. Each group must end as one term, typed with or without accents.
@pytest.mark.parametrize("forms", [
    "publique public publiques publics",
    "routier routière routiers routières routiere",
    "emplois emploi",
    "sécurité securite sécurités",
    "indemnité indemnite indemnités",
    "activité activités activite",
    "élu élus élue élues",
    "loi lois",
    "créée créé créés creee",
    "citoyen citoyenne citoyens citoyennes",
    "national nationale nationaux",
    "local locaux locale",
    "numérique numériques numerique",
    "éducatif éducative éducatives educatifs",
    "régional régionaux régionale",
    "école écoles ecole",
])
def test_inflections_and_accented_endings_stem_together(analyzer: Analyzer, forms: str) -> None:
    terms = {analyzer.term(w) for w in forms.split()}
    assert len(terms) == 1, (forms, terms)


@pytest.mark.parametrize("question, subject", [
    ("Peut-on changer le nom d'un enfant mineur ?", ["changer", "nom", "enfant", "mineur"]),
    ("À quoi sert la TFPB ?", ["TFPB"]),
    ("Quelles sont les règles de la tutelle ?", ["tutelle"]),
    ("Quels sont les différents types de contrat ?", ["contrat"]),
    ("Un bailleur peut-il refuser, etc. ?", ["bailleur", "refuser"]),
    ("En quoi consiste le diagnostic en marchant ?", ["diagnostic", "marchant"]),
    ("règles d'urbanisme", ["règles", "urbanisme"]),  # a subject when nothing asks a question
    ("que faire", ["que", "faire"]),  # only frames: every word is kept
])
def test_question_frames_are_not_subject_words(analyzer: Analyzer, question: str, subject: list[str]) -> None:
    kept = [w for w in topical(words(question)) if analyzer.term(w) is not None or w in ("que",)]
    assert kept == subject


def test_occurrences_are_the_tokens_of_the_wanted_terms(analyzer: Analyzer) -> None:
    """What snippets mark: every word whose term is wanted, where ``tokens`` finds it, on the
    demo corpus's real documents (elisions, accents, hyphens, acronyms, stop words)."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "corpus" / "documents"
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.md"))][:20]
    assert len(texts) >= 10, "the demo corpus holds Markdown documents"
    for text in texts:
        tokens = list(analyzer.tokens(text))
        wanted = frozenset(t.term for t in tokens[::7])
        assert analyzer.occurrences(text, wanted) == [(t.start, t.end, t.term) for t in tokens if t.term in wanted]
        assert analyzer.occurrences(text, frozenset()) == []


def test_terms_and_words_reads_once_what_indexing_needs() -> None:
    """Indexing reads a body once for its stemmed terms and the words it is written with:
    the same terms as ``terms`` alone, and the written words whose unstemmed forms are the
    body's words, on the demo corpus's real documents. A word's stem is a function of its
    unstemmed form (prefix searches find listed words by their stems)."""
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "corpus" / "documents"
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.md"))][:20]
    assert len(texts) >= 10, "the demo corpus holds Markdown documents"
    stemmed, plain = Analyzer(), Analyzer(stemming=False)
    accented = 0
    for text in texts:
        terms, written = stemmed.terms_and_words(text)
        assert terms == Analyzer().terms(text)
        assert {plain.term(w) for w in written} == set(plain.terms(text))
        assert all(stemmed.term(plain.term(w) or "") == stemmed.term(w) for w in written)
        accented += sum(not w.isascii() for w in written)
    assert accented > 100  # the words are kept as written, accents included

"""The query language: operators in French and English, fields, prefixes, and leniency."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.querysyntax import And, Not, Or, Phrase, Word, parse


def test_words_are_a_conjunction() -> None:
    assert parse("jardins partagés") == And((Word("jardins"), Word("partagés")))


def test_french_and_english_operators_agree() -> None:
    assert parse("santé OU éducation") == parse("santé OR éducation") == Or((Word("santé"), Word("éducation")))
    assert parse("santé SAUF mentale") == parse("santé NOT mentale") == parse("santé -mentale")
    assert parse("a ET b") == parse("a AND b") == And((Word("a"), Word("b")), explicit=True)
    # Words typed side by side are not all required (kb.whoosh_backend.query ranks by how many a document holds).
    assert parse("a b") == And((Word("a"), Word("b")))


def test_phrases_fields_and_prefixes() -> None:
    assert parse('"conseil citoyen"') == Phrase("conseil citoyen")
    assert parse("titre:charte") == Word("charte", "title")
    assert parse('type:"fiche d\'expérience"') == Phrase("fiche d'expérience", "type")
    assert parse("année:2017") == Word("2017", "year")
    assert parse("particip*") == Word("particip", prefix=True)


def test_unknown_fields_are_words() -> None:
    node = parse("http://exemple.fr/page")
    assert isinstance(node, Word) and node.field is None


def test_broken_syntax_degrades_to_words() -> None:
    assert parse("((santé") == Word("santé")
    assert parse('"non fermée') == Phrase("non fermée")
    assert parse("AND OR NOT") is None
    assert parse("santé AND") == Word("santé")
    assert parse(")santé(") == Word("santé")


def test_negation_alone_is_kept_for_the_builder() -> None:
    assert parse("-santé") == Not(Word("santé"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_without_error(text: str) -> None:
    parse(text)

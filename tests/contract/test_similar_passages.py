"""Similar documents ("more like this") and the passages of one document matching a query."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from kb.analysis import Analyzer
from tests.contract.support import Record

ANALYZER = Analyzer()
MARKED = re.compile(r"<mark>(.*?)</mark>")


def test_similar_documents_never_include_the_document_itself(ungrouped: Any, records: list[Record]) -> None:
    held = {doc.id for doc, _ in records}
    for doc, _ in records[::3]:
        found = ungrouped.similar(doc.id)
        assert 0 < len(found) <= 5, doc.title
        assert doc.id not in {h.id for h in found} and {h.id for h in found} <= held
        assert [h.score for h in found] == sorted((h.score for h in found), reverse=True)
        assert len(ungrouped.similar(doc.id, limit=2)) == 2


def test_an_exact_copy_and_another_edition_are_the_most_similar(ungrouped: Any, demo_groups: Any) -> None:
    for member, leader in demo_groups.leaders.items():
        if member != leader:
            assert ungrouped.similar(member)[0].id == leader
            assert ungrouped.similar(leader)[0].id == member


def test_similar_to_an_unknown_document_is_nothing(ungrouped: Any) -> None:
    assert ungrouped.similar("absent000000") == ()


@pytest.mark.parametrize("query", ["vélo femmes", "velo", '"vélo-école"', "école", "titre:vélo"])
def test_passages_show_where_the_words_are(ungrouped: Any, records: list[Record], query: str) -> None:
    doc = next(d for d, _ in records if d.title.startswith("Une vélo-école"))
    wanted = {ANALYZER.term(w) for w in re.findall(r"\w+", query.split(":")[-1])}
    passages = ungrouped.passages(doc.id, query)
    assert 1 <= len(passages) <= 3 and len(set(passages)) == len(passages)
    text = " ".join(doc.text.split())
    for passage in passages:
        marked = MARKED.findall(passage)
        assert marked and {ANALYZER.term(m) for m in marked} <= wanted, passage
        # HTML-safe text of the document itself.
        assert "<" not in MARKED.sub("", passage)
        assert html.unescape(MARKED.sub(r"\1", passage)).strip("… ")[:40] in text
    assert len(ungrouped.passages(doc.id, query, count=1)) == 1


def test_passages_of_words_the_document_lacks_are_none(ungrouped: Any, records: list[Record]) -> None:
    doc = records[0][0]
    assert ungrouped.passages(doc.id, "xylophonique") == ()
    assert ungrouped.passages(doc.id, "") == ()
    assert ungrouped.passages("absent000000", "quartiers") == ()

"""Bounded work per query: whatever is typed (a pasted paragraph, sixty misspelt words, a
hundred prefixes, phrases, negations, nested groups), a search opens a bounded number of posting
lists and looks up a bounded number of spellings, so that a few hostile clients cannot take the
server down. Work is counted (posting lists opened, spelling look-ups), not timed."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh.codec import whoosh3

from indexer.ingest import Options, index_paths
from kb.knowledgebase import KnowledgeBase
from kb.model import SearchRequest
from kb.querysyntax import MAX_QUERY_CHARS, parse
from kb.whoosh_backend import query as kq
from kb.whoosh_backend import spelling
from kb.whoosh_backend.spelling import MAX_SPELLING_LOOKUPS

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "documents"
ORDINARY = "Comment associer les habitants au diagnostic du contrat de ville ?"
# A hostile query may open at most this many times the posting lists of an ordinary question
# (~30 per segment): the bounds on content terms, prefix words and spelling look-ups keep it so.
MAX_RATIO = 25


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KnowledgeBase]:
    home = tmp_path_factory.mktemp("bounds") / "home"
    with KnowledgeBase(home) as kb:
        assert index_paths(kb, [CORPUS], Options()).failed == []
        yield kb


def hostile(kb: KnowledgeBase) -> dict[str, str]:
    text = " ".join(d.text for d in kb.documents())
    words = sorted({w for w in re.findall(r"[^\W\d_]{5,}", text)})
    rng = random.Random(7)

    def cut(q: str) -> str:
        return q[:MAX_QUERY_CHARS]

    return {
        "a pasted paragraph": cut(" ".join(rng.sample(words, 200))),
        "misspelt words": cut(" ".join(w[:2] + w[3:] for w in rng.sample(words, 150))),
        "short prefixes": cut(" ".join(w[:2] + "*" for w in rng.sample(words, 300))),
        "long phrases": cut(" ".join('"' + " ".join(rng.sample(words, 12)) + '"' for _ in range(20))),
        "negations": cut(" ".join("-" + w for w in rng.sample(words, 150)) + " habitants"),
        "alternatives": cut(" OU ".join(rng.sample(words, 150))),
        "nested groups": cut("(" * 30 + " OU ".join(rng.sample(words, 40)) + ")" * 30),
        "fields": cut(" ".join(f"titre:{w} type:fiche theme:santé" for w in rng.sample(words, 40))),
    }


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    counts = {"postings": 0, "spelling": 0}
    # A posting list is opened from its term info, by Whoosh's matchers and by the decoded lists
    # (kb.whoosh_backend.internals.arrays.read_list) alike.
    term_info, closest = whoosh3.W3TermsReader.term_info, spelling._closest

    def counting_postings(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        counts["postings"] += 1
        return term_info(self, *args, **kwargs)

    def counting_closest(*args):  # type: ignore[no-untyped-def]
        counts["spelling"] += 1
        return closest(*args)

    monkeypatch.setattr(whoosh3.W3TermsReader, "term_info", counting_postings)
    monkeypatch.setattr(spelling, "_closest", counting_closest)
    return counts


def run(kb: KnowledgeBase, counts: dict[str, int], query: str) -> tuple[int, int, int]:
    kb.index._pages.clear()
    kb.index._postings.clear()  # the work of a query whose words no recent query used
    counts["postings"] = counts["spelling"] = 0
    page = kb.search(SearchRequest(query, facets=True))
    with kb.index.searcher() as s:
        segments = len(s.leaf_searchers())
    return counts["postings"] // segments, counts["spelling"], page.total


def ordinary(base: KnowledgeBase, counts: dict[str, int]) -> int:
    run(base, counts, ORDINARY)  # the first search also reads the facet values once
    postings, spelling, total = run(base, counts, ORDINARY)
    assert total > 0 and spelling == 0 and postings > 0
    return postings


@pytest.mark.parametrize("kind", ["a pasted paragraph", "misspelt words", "short prefixes", "long phrases",
                                  "negations", "alternatives", "nested groups", "fields"])
def test_a_hostile_query_causes_bounded_work(base: KnowledgeBase, counted: dict[str, int], kind: str) -> None:
    usual = ordinary(base, counted)
    query = hostile(base)[kind]
    postings, spelling, _ = run(base, counted, query)
    assert postings <= MAX_RATIO * usual, (kind, postings, usual)
    assert spelling <= MAX_SPELLING_LOOKUPS


def test_the_budget_keeps_the_first_words(base: KnowledgeBase) -> None:
    # Degrades gracefully: the words beyond the budget are dropped, those before it searched.
    words = [f"mot{i}" for i in range(100)]
    with base.index.searcher() as s:
        built = base.index.builder.build(parse("habitants " + " ".join(words)), base.index._labels_reader(s))
    assert len(built.clauses) == kq.MAX_TERMS
    assert "habitant" in repr(built.clauses[0])

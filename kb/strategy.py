"""The search policy that does not depend on the engine: how a query is read, when a word is
worth correcting, how the best matches are ranked again, which page is shown.

The backend (``kb.whoosh_backend``) asks these questions with numbers and words only: no engine
type crosses this module.
"""

from __future__ import annotations

import re

from kb import querysyntax as qs
from kb.analysis import Analyzer
from kb.analysis import words as words_of
from kb.model import SearchRequest
from kb.sections import SECTION_PREFIX, default_sections

RERANK_DEPTH = 100  # best matches whose score gets the proximity / all-words bonus
COSTLY_WORDS = 24  # a query of more words waits for the ordinary ones (kb.turns)
COORD_POWER = 1.0  # score x (share of the query's words held) ** COORD_POWER
# Sorts by a date, newest first: the document's own date, or when it entered the base.
DATE_SORTS = {"date": "date", "added": "added"}


def read_query(request: SearchRequest) -> qs.Node | None:
    """The parsed query of ``request`` (None when it has no words). A section filter searches
    the words in those sections, not anywhere in a document that merely has them
    (« Résultats » or « resultats » alike)."""
    node = qs.parse(request.query)
    if node is not None and request.filters.get("sections"):
        vocabulary = default_sections()
        keys = dict.fromkeys(vocabulary.exact_key(v) or v for v in request.filters["sections"])
        node = qs.within(node, tuple(SECTION_PREFIX + k for k in keys if k in vocabulary.labels))
    return node


def replace_words(query: str, fixes: dict[str, str]) -> str:
    """``query`` with each misspelt word replaced by its correction (whole words only)."""
    words = "|".join(re.escape(w) for w in sorted(fixes, key=len, reverse=True))
    pattern = re.compile(r"(?<!\w)(" + words + r")(?!\w)")
    return pattern.sub(lambda m: fixes[m.group(1)], query)


def costly(query: str) -> bool:
    """Whether a query is likely to cost many times an ordinary one: far more words than a
    question has, several prefixes or phrases (each a union or a position check)."""
    return len(words_of(query)) > COSTLY_WORDS or query.count("*") > 1 or query.count('"') > 4


def page_of(ranked: list[tuple[int, float]], total: int, request: SearchRequest) -> list[tuple[int, float]]:
    """The requested page of ``ranked`` (any ranked ids); past the last page, the last one (as
    Whoosh's pages did)."""
    last = max(0, (total - 1) // request.page_size) * request.page_size
    first = min((request.page - 1) * request.page_size, last)
    return ranked[first : first + request.page_size]


def reranked(ranked: list[tuple[int, float]], holds: dict[int, int], n: int, extra: dict[int, float],
             all_first: bool) -> list[tuple[int, float]]:
    """``ranked`` scored again: each base score scaled by the share of the ``n`` clauses the
    document holds (coordination), plus its ``extra`` bonus; with ``all_first`` the documents
    holding every clause come first."""
    scored = []
    for d, score in ranked:
        held = holds.get(d, n) if n > 1 else n
        final = (score * (held / n) ** COORD_POWER if n > 1 else score) + extra.get(d, 0.0)
        scored.append((all_first and held == n, d, final))
    scored.sort(key=lambda t: (not t[0], -round(t[2], 9), t[1]))
    return [(d, final) for _, d, final in scored]


def proper_nouns(analyzer: Analyzer, text: str) -> set[str]:
    """Terms of words written Capitalised (not ALL CAPS: acronyms are topical) at least 80 %
    of the time and at least twice, excluding the first word of each sentence."""
    capital: dict[str, int] = {}
    total: dict[str, int] = {}
    previous = "."
    for match in _WORD_RE.finditer(text):
        word, sep = match.group(1), match.group(2)
        term = analyzer.term(word)
        if term is not None and not previous.rstrip().endswith((".", "!", "?", ":", "\n")):
            total[term] = total.get(term, 0) + 1
            if word[0].isupper() and not word.isupper():
                capital[term] = capital.get(term, 0) + 1
        previous = sep or " "
    return {t for t, n in capital.items() if n >= 2 and n >= 0.8 * total[t]}


_WORD_RE = re.compile(r"(\w+)(\W*)")


def inflection(a: str, b: str) -> bool:
    """Whether two folded words differ only by a plural or feminine ending."""
    def base(w: str) -> str:
        for end in ("es", "s", "x", "e"):
            if w.endswith(end) and len(w) > len(end) + 2:
                return w[: -len(end)]
        return w
    return base(a) == base(b)


def edits(a: str, b: str) -> int:
    """Levenshtein distance (short words only: spelling candidates)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def best_first(scored: tuple[int, float]) -> tuple[float, int]:
    """Best score first, then the older document. Scores are compared to 9 decimals: sums of
    the same terms' scores, added in another order, differ in their last bits, and identical
    documents must not swap places on that."""
    docnum, score = scored
    return -round(score, 9), docnum


"""From the parsed query tree to a Whoosh query: field weights, synonyms, lenient fields.

User text only ever reaches the fields a user may search; keyword fields (type, theme...) are
matched against the labels that exist in the index, accent- and case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from whoosh import query as wq

from kb import querysyntax as qs
from kb.analysis import QUESTION_WORDS, Analyzer, fold
from kb.synonyms import Synonyms

# A bare word is looked up in the title (for its weight, ``field_boost`` in the schema) and the
# body, whose terms include those of the title, headings and summary (``kb.index.analyze``):
# two posting lists per word instead of a union of four (at 100,000 documents, counting the
# matches of "mission service" took 68 ms through the four-field unions, 22 ms in the body
# alone). Matching the body alone lost 0.02 nDCG@10 on the judged queries (bench/relevance).
MATCH_FIELD = "body"
TITLE_FIELD = "title"
TEXT_FIELDS = (TITLE_FIELD, MATCH_FIELD)
SECTION_FIELDS = ("headings", "summary")
KEYWORD_FIELDS = ("type", "themes", "year", "format", "organisations", "territory", "language")
PHRASE_BOOST = 2.0
MAX_EXPANSIONS = 8
TOLERANT_FROM = 3  # from this many words on, a document may miss one of them


class AnyOf(wq.Or):  # type: ignore[misc]
    """Whoosh's ``Or``, always matched by a tree of unions.

    On segments of up to 5,000 documents, Whoosh's ``Or`` preloads its matches' scores into
    arrays when nothing asks for the current match: a Python loop clearing 2,048 slots per
    block, and no skipping of blocks that cannot reach the top results. On a 100,000-document
    base of 5,000-document segments, the tree made document pages ("similar documents")
    463 -> 253 ms and searches 32 -> 13 ms (medians, one run each)."""

    matcher_type = wq.Or.DEFAULT_MATCHER


@dataclass(frozen=True)
class BuiltQuery:
    query: wq.Query  # what a document must match, and its base score
    words: tuple[str, ...]  # the plain words typed, for spelling suggestions
    relaxable: bool  # a plain conjunction of words that may be retried as OR
    # Added to the score of the best-ranked matches only: words close together, all words of
    # a long query. Checking positions for every match was most of a long query's time.
    bonus: wq.Query | None = None


class SynonymMatcher:
    """Finds synonym expressions in a sequence of query terms (folded + stemmed)."""

    def __init__(self, synonyms: Synonyms, analyzer: Analyzer) -> None:
        self.expressions: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = {}
        for group in synonyms.groups:
            analysed = [tuple(analyzer.terms(e)) for e in group]
            analysed = [a for a in analysed if a]
            for expr in analysed:
                others = tuple(o for o in analysed if o != expr)
                self.expressions[expr] = tuple(dict.fromkeys(self.expressions.get(expr, ()) + others))
        self.longest = max((len(e) for e in self.expressions), default=0)

    def match(self, terms: list[str], start: int) -> tuple[int, tuple[tuple[str, ...], ...]]:
        """Longest expression starting at ``start``: (length, equivalents); (0, ()) if none."""
        for length in range(min(self.longest, len(terms) - start), 0, -1):
            found = self.expressions.get(tuple(terms[start : start + length]))
            if found:
                return length, found
        return 0, ()


class QueryBuilder:
    """Builds Whoosh queries; ``labels(field)`` lists the values a keyword field holds."""

    def __init__(self, analyzer: Analyzer, synonyms: SynonymMatcher) -> None:
        self.analyzer = analyzer
        self.synonyms = synonyms

    def build(self, node: qs.Node, labels: Callable[[str], Iterable[str]]) -> BuiltQuery:
        words: list[str] = []
        bonus: list[wq.Query] = []
        query = self._node(node, labels, words, bonus)
        relaxable = isinstance(node, qs.And) and all(
            isinstance(i, qs.Word) and i.field is None and not i.prefix for i in node.items
        )
        if query is None:
            return BuiltQuery(wq.NullQuery, tuple(words), False)
        if isinstance(node, qs.Not):
            query = wq.And([wq.Every(), query])
        return BuiltQuery(query, tuple(words), relaxable, _any(bonus))

    def relaxed(self, node: qs.Node, labels: Callable[[str], Iterable[str]]) -> BuiltQuery:
        """Any of the words instead of all of them (used when all of them match nothing)."""
        assert isinstance(node, qs.And)
        bonus: list[wq.Query] = []
        query = AnyOf([q for q in (self._node(i, labels, [], bonus) for i in node.items) if q is not None])
        return BuiltQuery(query, (), False, _any(bonus))

    # -- tree walk -------------------------------------------------------------------------

    def _node(self, node: qs.Node, labels: Callable[[str], Iterable[str]], words: list[str],
              bonus: list[wq.Query]) -> wq.Query | None:
        if isinstance(node, qs.And):
            return self._conjunction(node.items, labels, words, bonus)
        if isinstance(node, qs.Or):
            parts = [q for q in (self._node(i, labels, words, bonus) for i in node.items) if q is not None]
            return AnyOf(parts) if parts else None
        if isinstance(node, qs.Not):
            inner = self._node(node.item, labels, [], [])
            return wq.Not(inner) if inner is not None else None
        if isinstance(node, qs.Phrase):
            return self._text(node.text, node.field, labels, bonus, phrase=True)
        if node.prefix:
            return self._prefix(node.text, node.field)
        if node.field is None:
            words.append(node.text)
        return self._text(node.text, node.field, labels, bonus, phrase=False)

    def _conjunction(self, items: tuple[qs.Node, ...], labels: Callable[[str], Iterable[str]],
                     words: list[str], bonus: list[wq.Query]) -> wq.Query | None:
        """AND of the items, where runs of plain words are matched against synonym expressions
        and rewarded when they appear together as a phrase."""
        parts: list[wq.Query] = []
        run: list[str] = []

        def flush() -> None:
            if run:
                q = self._word_run(run, bonus)
                if q is not None:
                    parts.append(q)
                run.clear()

        for item in items:
            if isinstance(item, qs.Word) and item.field is None and not item.prefix:
                words.append(item.text)
                run.append(item.text)
                continue
            flush()
            q = self._node(item, labels, words, bonus)
            if q is not None:
                parts.append(q)
        flush()
        if not parts:
            return None
        positives = [p for p in parts if not isinstance(p, wq.Not)]
        if not positives:
            return wq.And([wq.Every()] + parts)
        return wq.And(parts) if len(parts) > 1 else parts[0]

    def _word_run(self, run: list[str], bonus: list[wq.Query]) -> wq.Query | None:
        topical = [w for w in run if fold(w) not in QUESTION_WORDS]
        terms = self.analyzer.terms(" ".join(topical or run))
        if not terms:
            return None
        groups: list[list[list[str]]] = []  # per clause: the expression and its synonyms
        i = 0
        while i < len(terms):
            length, equivalents = self.synonyms.match(terms, i)
            if length:
                groups.append([terms[i : i + length]] + [list(e) for e in equivalents[:MAX_EXPANSIONS]])
                i += length
            else:
                groups.append([[terms[i]]])
                i += 1
        clauses = [_either([_terms_query(f, e) for e in g for f in TEXT_FIELDS]) for g in groups]
        required = wq.And(clauses) if len(clauses) > 1 else clauses[0]
        if len(clauses) >= TOLERANT_FROM:
            # Long queries and questions: a document may miss one of the words ("lutter" in
            # "comment lutter contre le décrochage scolaire"); those with all of them rank first.
            bonus.append(required)
            required = AnyOf([wq.And(clauses[:i] + clauses[i + 1 :]) for i in range(len(clauses))])
        if len(terms) > 1:
            bonus.extend(wq.Phrase(f, terms, slop=2, boost=PHRASE_BOOST) for f in TEXT_FIELDS)
        # Words in the headings or the summary: no longer matched there (the body holds them),
        # but scored there for the best matches, as when they were matched fields (+0.006 nDCG).
        bonus.extend(_terms_query(f, e) for f in SECTION_FIELDS for g in groups for e in g)
        return required

    def _text(self, text: str, field: str | None, labels: Callable[[str], Iterable[str]], bonus: list[wq.Query],
              phrase: bool) -> wq.Query | None:
        if field in KEYWORD_FIELDS:
            return self._keyword(field, text, labels)
        if field == "id":
            return wq.Term("id", text.strip())
        terms = self.analyzer.terms(text)
        if not terms:
            return None
        if field is None and (phrase or len(terms) > 1):
            return wq.AndMaybe(wq.Phrase(MATCH_FIELD, terms), wq.Phrase(TITLE_FIELD, terms))
        if phrase or len(terms) > 1:
            return wq.Phrase(field, terms)
        if field is None:
            return self._word_run([text], bonus)
        return wq.Term(field, terms[0])

    def _prefix(self, text: str, field: str | None) -> wq.Query | None:
        folded = fold(text).strip(".'’-")
        if len(folded) < 2:
            return None
        if field in KEYWORD_FIELDS:
            return wq.Prefix(field, text)
        # Stems are truncated words, so a prefix is matched on the unstemmed words too.
        targets = ("spell", "title") if field in (None, "body", "title") else (field,)
        return AnyOf([wq.Prefix(f, folded) for f in targets] + [wq.Term(f, self.analyzer.term(folded) or folded)
                                                                  for f in (field,) if f])

    def _keyword(self, field: str, text: str, labels: Callable[[str], Iterable[str]]) -> wq.Query:
        """A label, matched loosely: "fiche d'experience" or "fiche" both find "fiche d'expérience"."""
        wanted = fold(text).strip()
        values = list(labels(field))
        exact = [v for v in values if fold(v) == wanted]
        matched = exact or [v for v in values if fold(v).startswith(wanted) or wanted in fold(v).split()]
        if not matched:
            return wq.NullQuery
        return AnyOf([wq.Term(field, v) for v in matched]) if len(matched) > 1 else wq.Term(field, matched[0])


def _terms_query(field: str, terms: list[str]) -> wq.Query:
    return wq.Term(field, terms[0]) if len(terms) == 1 else wq.Phrase(field, terms)


def _either(queries: list[wq.Query]) -> wq.Query:
    return queries[0] if len(queries) == 1 else AnyOf(queries)


def _any(queries: list[wq.Query]) -> wq.Query | None:
    return None if not queries else _either(queries)
